using System.Diagnostics;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Config;

/// <summary>
/// Regressions for the third config:// review (s30): concurrent edits lost keys (D5), .env keys written unchecked ran as
/// commands when the file was sourced (D3), credentials the value rules missed (attacker #1, D6), multi-line values
/// written raw into INI (D4), and a YAML error without a line (D10). End to end against the native binary.
/// </summary>
public sealed class ConfigThirdReviewTests
{
    [Fact]
    public async Task Thirty_concurrent_sets_keep_every_key()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.env", "START=1\n");
        var env = new Dictionary<string, string> { ["RESH_HOME"] = dir["state"] };
        var runs = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            Task.Run(() => ReshBinary.Run([$"config://{file}", "set", $"key=K{i}", $"value=v{i}"], env: env))));
        foreach (var r in runs) Assert.True(r.Ok && r.Changed, r.ToString());
        var text = File.ReadAllText(file);
        for (int i = 0; i < 30; i++) Assert.Contains($"K{i}=v{i}\n", text);
        Assert.Contains("START=1\n", text);
    }

    [Theory]
    [InlineData("$(touch PWNED)"), InlineData("#X"), InlineData("bad key"), InlineData("X=Y"), InlineData("1X"), InlineData("A\nB"), InlineData("a.b")]
    public void Env_keys_that_are_not_variable_names_are_refused_and_nothing_is_written(string key)
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.env", "A=1\n");
        var run = ReshBinary.Run($"config://{file}", "set", $"key={key}", "value=v");
        Assert.False(run.Ok, run.ToString());
        Assert.Equal("usage", run.ErrorCode);
        Assert.NotNull(run.Envelope["error"]!["hint"]);
        Assert.Equal("A=1\n", File.ReadAllText(file));
    }

    [Fact]
    public void A_set_env_file_sources_without_running_anything()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.env", "A=1\n");
        foreach (var v in new[] { "$(touch PWNED)", "`touch PWNED`", "x; touch PWNED", "a'b\"c\\", "X=Y" })
            Assert.True(ReshBinary.Run($"config://{file}", "set", "key=VALUE", $"value={v}").Ok);
        var psi = new ProcessStartInfo("sh", ["-c", $"set -a; . '{file}'; printf %s \"$VALUE\""]) { WorkingDirectory = dir.Path, RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal("X=Y", output);
        Assert.False(File.Exists(Path.Combine(dir.Path, "PWNED")));
    }

    [Theory]
    [InlineData("app.ini", "s.a=b"), InlineData("app.ini", "s.[x"), InlineData("app.ini", "s.#x"), InlineData("app.ini", "s.;x"), InlineData("app.ini", "s.a:b")]
    [InlineData("sysctl.conf", "net.a=b"), InlineData("sysctl.conf", "#net.x"), InlineData("sysctl.conf", "net x")]
    public void Ini_and_sysctl_keys_that_would_split_or_comment_the_line_are_refused(string name, string key)
    {
        using var dir = new TempDir("config");
        var text = name == "app.ini" ? "[s]\nk = 1\n" : "net.k = 1\n";
        var file = dir.File(name, text);
        var run = ReshBinary.Run($"config://{file}", "set", $"key={key}", "value=v");
        Assert.Equal("usage", run.ErrorCode);
        Assert.Equal(text, File.ReadAllText(file));
    }

    [Fact]
    public void Properties_keys_with_newlines_are_escaped_and_read_back()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.properties", "a=1\n");
        Assert.True(ReshBinary.Run($"config://{file}", "set", "key=x\ny", "value=v").Ok);
        Assert.Equal(2, File.ReadAllLines(file).Length);
        var get = ReshBinary.Run($"config://{file}", "get");
        Assert.Equal("v", get.Result!["value"]!["x\ny"]!.GetValue<string>());
    }

    [Fact]
    public void Convert_to_ini_refuses_a_multi_line_value_naming_its_key()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.json", "{\"s\": {\"motd\": \"line1\\nline2\"}}");
        var run = ReshBinary.Run($"config://{file}", "convert", "to=ini");
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("s.motd", run.Envelope["error"]!["message"]!.GetValue<string>());
        var ini = dir.File("app.ini", "[s]\na = 1\n");
        Assert.Equal("usage", ReshBinary.Run($"config://{ini}", "set", "key=s.a", "value=x\ny").ErrorCode);
        Assert.Equal("[s]\na = 1\n", File.ReadAllText(ini));
    }

    [Fact]
    public void Convert_to_ini_values_with_percent_and_semicolon_read_back_in_configparser()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        using var dir = new TempDir("config");
        var file = dir.File("app.json", "{\"s\": {\"pct\": \"100%\", \"semi\": \"a ;b\", \"plain\": \"x\"}}");
        var out1 = Path.Combine(dir.Path, "out.ini");
        Assert.True(ReshBinary.Run($"config://{file}", "convert", "to=ini", $"output={out1}").Ok);
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", "import configparser,sys\nc=configparser.RawConfigParser()\nc.read(sys.argv[1])\nprint(c['s']['pct']);print(c['s']['plain'])", out1])
            { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var lines = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Equal("100%\nx\n", lines);
        var back = ReshBinary.Run($"config://{out1}", "get", "key=s.semi");
        Assert.Equal("a ;b", back.Result!["value"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("a: [1, 2\nb: 3\n"), InlineData("a: {x: 1\nb: 2\n"), InlineData("a:\n  b: 1\n c: 2\n"), InlineData("a:\n\tb: 1\n"), InlineData("a: &x 1\nb: &x 2\nc: [\n")]
    [InlineData("- a\nb: 1\n"), InlineData("a: 1\n- b\n"), InlineData("a: b: c\n"), InlineData("? [a\n"), InlineData("a: 'x\n")]
    public void Yaml_errors_name_a_line_and_no_dotnet_text(string yaml)
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.yaml", yaml);
        var run = ReshBinary.Run($"config://{file}", "get");
        Assert.Equal("usage", run.ErrorCode);
        var message = run.Envelope["error"]!["message"]!.GetValue<string>();
        Assert.DoesNotContain("current state of the object", message);
        Assert.Matches(@"\(line \d+\)", message);
    }

    const string Secrets = """
        jdbc = "jdbc:mysql://db/app?user=app&password=Q1pass"
        pg = "postgresql://db/app?password=Q2pass&sslmode=require"
        libpq = "host=db password = Q3pass dbname=app"
        slash = "postgres://app:pa/Q4pass@db/app"
        odbc = "Driver={x};Pwd={ab}}Q5pass;d};UID=u"
        GITHUB_PAT = "Q6pass"
        jwt = "Q7pass"
        stripe = "sk_live_Q8passABCDEFGH"
        note = "token is ghp_Q9passABCDEFGH"
        hook = "https://hooks.slack.com/services/T000/B000/Q10passX"
        app_dsn = "postgres://app:Q11pass@db/app"
        """;

    static readonly string[] SecretWords = ["Q1pass", "Q2pass", "Q3pass", "Q4pass", "Q5pass", "Q6pass", "Q7pass", "Q8pass", "Q9pass", "Q10pass", "Q11pass"];

    [Fact]
    public void Get_and_the_audit_trail_mask_the_credentials_the_value_rules_missed()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.toml", Secrets);
        var get = ReshBinary.Run($"config://{file}", "get");
        Assert.True(get.Ok, get.ToString());
        foreach (var s in SecretWords) Assert.DoesNotContain(s, get.Stdout);
        var v = get.Result!["value"]!;
        Assert.Equal("jdbc:mysql://db/app?user=app&password=***", v["jdbc"]!.GetValue<string>());
        Assert.Equal("postgres://app:***@db/app", v["app_dsn"]!.GetValue<string>());
        Assert.Equal("https://hooks.slack.com/services/***", v["hook"]!.GetValue<string>());

        var config = dir.File("resh.toml", "[audit]\nenabled = true\n");
        var env = new Dictionary<string, string> { ["RESH_HOME"] = dir["state"], ["RESH_CONFIG"] = config };
        var target = dir.File("t.toml", "x = 1\n");
        foreach (var line in Secrets.Split('\n'))
        {
            var eq = line.IndexOf(" = ", StringComparison.Ordinal);
            var set = ReshBinary.Run([$"config://{target}", "set", $"key={line[..eq]}", $"value={line[(eq + 4)..^1]}"], env: env);
            Assert.True(set.Ok, set.ToString());
            foreach (var s in SecretWords) Assert.DoesNotContain(s, set.Stdout);
        }
        var log = File.ReadAllText(Path.Combine(dir["state"], "audit", "audit.jsonl"));
        foreach (var s in SecretWords) Assert.DoesNotContain(s, log);
    }
}
