using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Interactive;

/// <summary>
/// Issue 19, the interactive shell: the real binary driven through a real pseudo-terminal (pty_drive.py, the
/// python pty module as expect would): completion, `use`, $_ and $name, history without secrets, and `resh`
/// without a terminal still printing help.
/// </summary>
public sealed class ShellTests : IDisposable
{
    readonly TempDir _home = new("shell");

    public void Dispose() => _home.Dispose();

    public sealed record Step(string? Send, string? Expect, double Timeout = 5, bool Screen = false);

    /// <summary>The terminal's screen after a step (pty_drive.py's VT model): rows without trailing spaces, and the cursor.</summary>
    public sealed record ScreenShot(IReadOnlyList<string> Rows, int Row, int Col);

    public sealed record PtyRun(IReadOnlyList<(bool Matched, double? Ms, string Output)> Steps, int? Exit, string Transcript)
    {
        public IReadOnlyDictionary<int, ScreenShot> Screens { get; init; } = new Dictionary<int, ScreenShot>();
        public string Out(int i) => Steps[i].Output;
        public void AllMatched()
        {
            for (int i = 0; i < Steps.Count; i++)
                Assert.True(Steps[i].Matched, $"step {i} did not see what it expected; its output:\n{Steps[i].Output}\n--- transcript:\n{Transcript}");
        }
    }

    /// <summary>Runs resh (with <paramref name="args"/>) on a pseudo-terminal through the steps; HOME and RESH_HOME are the test's own.</summary>
    public static PtyRun Drive(string home, IEnumerable<Step> steps, params string[] args) => Drive(home, steps, new PtyOptions(), args);

    /// <summary>The pseudo-terminal's size and extra environment variables.</summary>
    public sealed record PtyOptions(int Cols = 200, int Rows = 50, IReadOnlyDictionary<string, string>? Env = null);

    public static PtyRun Drive(string home, IEnumerable<Step> steps, PtyOptions options, params string[] args)
    {
        var driver = Path.Combine(AppContext.BaseDirectory, "Shell", "pty_drive.py");
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(driver);
        psi.ArgumentList.Add(ReshBinary.Path);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = home;
        psi.Environment["RESH_HOME"] = Path.Combine(home, "state");
        psi.Environment["TERM"] = "xterm";
        psi.Environment.Remove("RESH_CONFIG");
        psi.Environment.Remove("NO_COLOR");
        psi.Environment.Remove("XDG_CONFIG_HOME");
        psi.Environment.Remove("XDG_DATA_HOME");
        foreach (var (k, v) in options.Env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var spec = new JsonObject
        {
            ["steps"] = new JsonArray(steps.Select(s => (JsonNode)StepJson(s)).ToArray()),
            ["cols"] = options.Cols,
            ["rows"] = options.Rows,
        };
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(spec.ToJsonString());
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120))) { p.Kill(true); throw new TimeoutException("pty driver did not finish"); }
        var json = JsonNode.Parse(stdout.Result) ?? throw new InvalidOperationException("driver printed nothing: " + stderr.Result);
        var list = json["steps"]!.AsArray().Select(s => (s!["matched"]!.GetValue<bool>(), s["ms"]?.GetValue<double>(), s["output"]!.GetValue<string>())).ToList();
        var screens = new Dictionary<int, ScreenShot>();
        var all = json["steps"]!.AsArray();
        for (int i = 0; i < all.Count; i++)
            if (all[i]!["screen"] is JsonObject sc)
                screens[i] = new ScreenShot(sc["rows"]!.AsArray().Select(r => r!.GetValue<string>()).ToList(), sc["row"]!.GetValue<int>(), sc["col"]!.GetValue<int>());
        return new PtyRun(list, json["exit"]?.GetValue<int>(), json["transcript"]!.GetValue<string>()) { Screens = screens };
    }

    static JsonObject StepJson(Step s)
    {
        var o = new JsonObject { ["timeout"] = s.Timeout };
        if (s.Send is not null) o["send"] = s.Send;
        if (s.Expect is not null) o["expect"] = s.Expect;
        if (s.Screen) o["screen"] = true;
        return o;
    }

    static Step Prompt(double timeout = 10) => new(null, @"resh[^\n]*> $", timeout);

    [Fact]
    public void Tab_completes_a_scheme_a_verb_and_an_argument_name()
    {
        var run = Drive(_home.Path,
        [
            Prompt(20),
            new("sys\t", @"system://$"),                       // the scheme
            new(".mem\t", @"system://\.memory "),            // a verb of system://
            new("\u0015file:///etc/hosts.lines.ens\t", @"lines\.ensure "),
            new("li\t", @"line="),                            // an argument name, from the declaration
            new("\u0003", @"\^C"),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        Assert.Equal(0, run.Exit);
    }

    [Fact]
    public void Tab_completes_a_path_a_unit_name_and_an_enum_value()
    {
        var dir = Directory.CreateDirectory(_home["tree"]).FullName;
        File.WriteAllText(Path.Combine(dir, "unique-config.toml"), "a = 1\n");
        var unit = LiveUnit();
        var run = Drive(_home.Path,
        [
            Prompt(20),
            new($"file://{dir}/uni\t", @"unique-config\.toml $"),
            new("\u0015" + $"svc://{unit[..Math.Min(3, unit.Length)]}\t", System.Text.RegularExpressions.Regex.Escape(unit) + " "),
            new("\u0015svc://.list type=ti\t", @"type=timer"),
            new("\u0003", @"\^C"),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        // The unit the service manager lists completes (or the menu lists it when several share the prefix).
        Assert.Contains(unit, run.Out(2));
    }

    /// <summary>A service this machine's manager knows: OpenRC's /etc/init.d scripts or a systemd unit.</summary>
    static string LiveUnit()
    {
        if (Directory.Exists("/run/systemd/system"))
        {
            var r = ReshBinary.Run("svc://.list");
            return r.Result!["units"]!.AsArray()[0]!["name"]!.GetValue<string>().Replace(".service", "");
        }
        var names = Directory.GetFiles("/etc/init.d").Select(Path.GetFileName).OfType<string>()
            .Where(n => (File.GetUnixFileMode(Path.Combine("/etc/init.d", n)) & UnixFileMode.UserExecute) != 0).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(names);
        // A name no other script shares its first three letters with, so Tab completes it whole.
        return names.FirstOrDefault(n => n.Length > 3 && names.Count(o => o.StartsWith(n[..3], StringComparison.Ordinal)) == 1) ?? names[0];
    }

    [Fact]
    public void Use_changes_where_a_relative_file_read_goes_and_the_prompt_shows_it()
    {
        var a = Directory.CreateDirectory(_home["a"]).FullName;
        var b = Directory.CreateDirectory(_home["b"]).FullName;
        File.WriteAllText(Path.Combine(a, "note.txt"), "from-a\n");
        File.WriteAllText(Path.Combine(b, "note.txt"), "from-b\n");
        var run = Drive(_home.Path,
        [
            Prompt(20),
            new($"use file://{a}\r", $@"resh file://{a}> $"),
            new("file://note.txt.read --format raw\r", @"from-a[\s\S]*> $"),
            new($"use file://{b}\r", $@"resh file://{b}> $"),
            new("note.txt.read --format raw\r", @"from-b[\s\S]*> $"),
            // Every stage of a pipeline gets the context, not only the first (s40 review: later stages ran here).
            new(".list | where name == note.txt | file://{name}.read --format json\r", @"from-b[\s\S]*> $", 20),
            new("use\r", @"resh> $"),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        Assert.DoesNotContain("from-b", run.Out(2));
        Assert.DoesNotContain("from-a", run.Out(4));
        Assert.Contains("\"ok\": true", run.Out(5).Replace("\"ok\":true", "\"ok\": true"));
    }

    [Fact]
    public void Use_agent_sends_later_stages_to_the_agents_and_never_runs_them_here()
    {
        // s43 user review: `use agent://@web` was taken as a base stage, so a write typed next ran on this machine.
        var target = Path.Combine(_home.Path, "useflag");
        var run = Drive(_home.Path,
        [
            Prompt(20),
            new("use agent://@web\r", @"stages run on agent://@web[\s\S]*resh agent://@web> $"),
            new($"file://{target}.write content=x --format json\r", @"\[agent\][\s\S]*> $", 30),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        Assert.False(File.Exists(target), "the write ran on this machine");
        Assert.Contains("[agent]", run.Out(2)); // agent://'s own answer: this home has no [agent] table to reach agents with
    }

    [Fact]
    public void Dollar_underscore_is_the_last_result_and_a_kept_result_feeds_an_argument()
    {
        var file = _home.File("data.txt", "hello shell\n");
        var copy = Path.Combine(_home.Path, "copy.txt");
        var at = _home.File("at.txt", "@/etc/hostname");
        var copy2 = Path.Combine(_home.Path, "copy2.txt");
        var run = Drive(_home.Path,
        [
            Prompt(20),
            new($"file://{file}.stat\r", @"> $"),
            new("$_.size\r", @"\b12\b[\s\S]*> $"),
            new($"$f = file://{file}.read\r", @"\$f kept[\s\S]*> $"),
            new($"file://{copy}.write content=$f.content\r", @"> $"),
            new("$nope\r", @"\$nope is not set[\s\S]*> $"),
            // A pipeline's answer is $_ and can be kept too (s40 user D6).
            new($"$c = file://{_home.Path}.list | where name == data.txt | count\r", @"\$c kept[\s\S]*> $", 20),
            new("$c.count\r", @"\b1\b[\s\S]*> $"),
            // A value that starts with @ would make resh read that file: refused (s40 attacker #3).
            new($"$a = file://{at}.read\r", @"\$a kept[\s\S]*> $"),
            new($"file://{copy2}.write content=$a.content\r", @"starts with @[\s\S]*> $"),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        Assert.Equal("hello shell\n", File.ReadAllText(copy));
        Assert.False(File.Exists(copy2));
    }

    [Fact]
    public void A_filter_with_parentheses_runs_as_typed_and_a_hostile_variable_stays_one_value()
    {
        var dir = Path.Combine(_home.Path, "pf");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "big.txt"), new string('b', 100));
        File.WriteAllText(Path.Combine(dir, "s.txt"), "s");
        File.WriteAllText(Path.Combine(dir, "t.txt"), "t");
        var hostile = _home.File("hostile.txt", "a,b)c\"d=(e");
        var copy = Path.Combine(_home.Path, "copy3.txt");
        var run = Drive(_home.Path,
        [
            Prompt(20),
            // s41: the group was re-quoted into a string and the line was `usage`.
            new($"$c = file://{dir}.list | where (size > 50 or name == \"s.txt\") | count\r", @"\$c kept[\s\S]*> $", 20),
            new("$c.count\r", @"\b2\b[\s\S]*> $"),
            new($"$h = file://{hostile}.read\r", @"\$h kept[\s\S]*> $"),
            // A value holding , ) = and a quote inside the parentheses is one value, not more arguments.
            new($"file://{copy}.write(content=$h.content)\r", @"> $", 20),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        Assert.DoesNotContain("usage", run.Out(1));
        Assert.Equal("a,b)c\"d=(e", File.ReadAllText(copy));
    }

    [Fact]
    public void The_history_file_keeps_lines_but_never_a_literal_secret()
    {
        var state = Path.Combine(_home.Path, "state");
        var run = Drive(_home.Path,
        [
            Prompt(20),
            new("system://.uptime\r", @"> $", 20),
            new("secret://shell-test-token.set value=hunter2-literal-XYZ\r", @"> $", 20),
            new("'http://127.0.0.1:9/x.get(password=pw-literal-ABC)'\r", @"> $", 20),
            new("secret://shell-test-token.set value=env:SHELL_TEST_VALUE\r", @"> $", 20),
            // s40 reviews: a later pipeline stage, JSON --args, a header, and a `use` context each carried one through.
            new("system://.disk | first 1 | http://127.0.0.1:9/p.get bearer=PipeSecretTok2 --timeout 5s\r", @"> $", 30),
            new("http://127.0.0.1:9/x.get --args '{\"password\":\"argsJsonPW\"}' --timeout 5s\r", @"> $", 30),
            new("http://127.0.0.1:9/x.get header='Authorization: Bearer hdrTok' --timeout 5s\r", @"> $", 30),
            new("use secret://shell-ctx-token\r", @"> $", 20),
            new(".set value=ctxLiteralPW\r", @"> $", 20),
            new("use\r", @"> $", 20),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        var history = Path.Combine(state, "shell_history");
        Assert.True(File.Exists(history), run.Transcript);
        var text = File.ReadAllText(history);
        Assert.Contains("system://.uptime", text);
        Assert.Contains("value=env:SHELL_TEST_VALUE", text); // a reference is no secret
        Assert.DoesNotContain("hunter2", text);
        Assert.DoesNotContain("pw-literal", text);
        foreach (var secret in new[] { "PipeSecretTok2", "argsJsonPW", "hdrTok", "ctxLiteralPW" }) Assert.DoesNotContain(secret, text);
        Assert.Contains("use secret://shell-ctx-token", text); // the lines around them are kept
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(history));
    }

    /// <summary>
    /// s42 user D5: a header whose NAME looks secret, written inside an argument's value (header=X-Api-Key:…,
    /// header='X-Auth-Token: …', headers:={"Private-Token":"…"}), was kept in the history. Such a pair is judged by the one
    /// rule (SecretKeys.LooksSecret): the line is not written; a harmless header is.
    /// </summary>
    [Fact]
    public void The_history_file_keeps_no_secret_named_header_written_in_a_value()
    {
        var state = Path.Combine(_home.Path, "state");
        var run = Drive(_home.Path,
        [
            Prompt(20),
            new("http://127.0.0.1:9/x.get header=X-Api-Key:apiKeyValue1 --timeout 5s\r", @"> $", 30),
            new("http://127.0.0.1:9/x.get header='X-Auth-Token: authTokValue2' --timeout 5s\r", @"> $", 30),
            new("http://127.0.0.1:9/x.get headers:='{\"Private-Token\":\"privTokValue3\"}' --timeout 5s\r", @"> $", 30),
            new("system://.disk | first 1 | http://127.0.0.1:9/p.get header=X-Api-Key:pipeKeyValue4 --timeout 5s\r", @"> $", 30),
            new("http://127.0.0.1:9/x.get header=Accept:text/plain --timeout 5s\r", @"> $", 30),
            new("http://127.0.0.1:9/x.get user=ann password=secret:shell-db --timeout 5s\r", @"> $", 30),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        var text = File.ReadAllText(Path.Combine(state, "shell_history"));
        foreach (var secret in new[] { "apiKeyValue1", "authTokValue2", "privTokValue3", "pipeKeyValue4" }) Assert.DoesNotContain(secret, text);
        Assert.Contains("header=Accept:text/plain", text); // a header that is no secret is kept
        Assert.Contains("password=secret:shell-db", text);  // and so is a reference
    }

    /// <summary>
    /// s42 user items: Tab inside a `where (` group completes the item's field names, keeping the `(` as typed (not
    /// escaped: a filter's text is passed on as typed); Ctrl-R with no history line matching says so, as bash does.
    /// </summary>
    [Fact]
    public void Tab_completes_a_field_inside_where_parentheses_and_ctrl_r_says_when_nothing_matches()
    {
        var run = Drive(_home.Path,
        [
            Prompt(20),
            new("proc://.list | where (na\t", @"where \(name(?!\S)"),
            new(" == \"init\" or !us\t", @"or !user(?!\S)"),
            new("\u0015system://.uptime --format json\r", "\"ok\": ?true[\\s\\S]*> $", 20), // the prompt back: the terminal is raw again
            new("\u0012upt", @"\(reverse-i-search\)`upt': system://\.uptime"),
            new("zzq", @"\(failed reverse-i-search\)`uptzzq': system://\.uptime"),
            new("\u0007", @"> $"),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        Assert.DoesNotContain(@"\(", run.Out(1));
    }

    [Fact]
    public void Resh_without_a_terminal_prints_help_and_resh_alone_on_one_opens_the_shell()
    {
        var piped = ReshBinary.Run([], stdin: "");
        Assert.Equal(0, piped.ExitCode);
        Assert.Contains("Commands:", piped.Stdout); // the help page, as before
        Assert.DoesNotContain("resh shell:", piped.Stdout + piped.Stderr);
        var tty = Drive(_home.Path, [Prompt(20), new(":quit\r", null, 1)]);
        tty.AllMatched();
        Assert.Equal(0, tty.Exit);
        // `resh shell` with no terminal is a usage error, never a hang.
        var noTty = ReshBinary.Run(["shell"], stdin: "");
        Assert.Equal(2, noTty.ExitCode);
    }

    [Fact]
    public void Ctrl_c_cancels_the_running_call_and_the_shell_stays()
    {
        var log = _home.File("follow.log", "one\n");
        var run = Drive(_home.Path,
        [
            Prompt(20),
            new($"file://{log}.tail --follow\r", "one", 10),
            new("\u0003", @"interrupted[\s\S]*> $", 10),
            new("system://.uptime --format json\r", "\"ok\": ?true", 10),
            new("\u0004", null, 1),
        ], "shell");
        Assert.True(run.Steps[2].Matched, run.Transcript);
        Assert.True(run.Steps[3].Matched, run.Transcript);
    }
}
