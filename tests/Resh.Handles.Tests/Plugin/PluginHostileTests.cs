using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin;

/// <summary>
/// Issue 17, plugin:// against what a plugin author controls: a plugin that answers garbage, crashes, exits without an
/// envelope, hangs (bounded by --timeout, its process tree killed) or floods stdout yields a failed envelope with details;
/// hostile manifests (names with ../, an executable outside the directory, symbolic links) are refused; files changed
/// after install are refused at run time.
/// </summary>
public sealed class PluginHostileTests : IDisposable
{
    readonly PluginKit _kit = new();
    public void Dispose() => _kit.Dispose();

    void InstallBad() => Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "bad")).Ok);

    [Theory]
    [InlineData("garbage", "not one JSON value")]
    [InlineData("crash", "signal 11")]
    [InlineData("exit", "exited with 3")]
    [InlineData("okexit", "exited with 4")]
    public void A_misbehaving_plugin_is_a_failed_envelope_with_details(string verb, string said)
    {
        InstallBad();
        var run = _kit.Resh($"bad://.{verb}");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("failed", run.ErrorCode);
        Assert.Contains(said, run.Envelope["error"]!["message"]!.GetValue<string>());
        var details = run.Envelope["error"]!["details"]!;
        Assert.NotNull(details["exit_code"]);
        Assert.NotNull(details["stderr_tail"]);
        Assert.DoesNotContain("   at ", run.Stdout + run.Stderr); // no stack trace
        if (verb == "crash")
        {
            Assert.Equal(11, details["signal"]!.GetValue<int>());
            Assert.Contains("about to crash", details["stderr_tail"]!.GetValue<string>());
        }
    }

    [Fact]
    public void A_hanging_plugin_is_bounded_by_timeout_and_its_process_tree_is_killed()
    {
        InstallBad();
        var pidfile = _kit["pids"];
        var clock = Stopwatch.StartNew();
        var run = _kit.Resh("bad://.hang", $"pidfile={pidfile}", "--timeout", "2s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), clock.Elapsed.ToString());
        Assert.Equal(6, run.ExitCode);
        Assert.Equal("timeout", run.ErrorCode);
        Assert.True(run.Envelope["error"]!["details"]!["killed"]!.GetValue<bool>());
        var pids = File.ReadAllText(pidfile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
        Assert.Equal(2, pids.Count);
        foreach (var pid in pids) Assert.True(GoneSoon(pid), $"process {pid} still runs");
    }

    /// <summary>Gone, or a zombie waiting for init to reap it (dead either way).</summary>
    internal static bool GoneSoon(int pid)
    {
        for (int i = 0; i < 50; i++)
        {
            string stat;
            try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
            catch (IOException) { return true; }
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            if (state is "Z" or "X") return true;
            Thread.Sleep(100);
        }
        return false;
    }

    [Fact]
    public void A_flood_is_cut_at_the_bound_and_a_foreign_error_code_becomes_failed()
    {
        InstallBad();
        var flood = _kit.Resh("bad://.flood");
        Assert.Equal("failed", flood.ErrorCode);
        Assert.Contains("MiB", flood.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.True(flood.Stdout.Length < 100_000, "the flood must not reach resh's output");
        var weird = _kit.Resh("bad://.weird");
        Assert.Equal("failed", weird.ErrorCode);
        Assert.Equal("exploded", weird.Envelope["error"]!["details"]!["plugin_code"]!.GetValue<string>());
    }

    [Fact]
    public void Test_reports_a_result_that_breaks_its_schema_per_example()
    {
        InstallBad();
        var run = _kit.Resh("plugin://bad.test");
        Assert.Equal("partial", run.ErrorCode);
        var c = run.Result!["cases"]!.AsArray().Single()!;
        Assert.False(c["passed"]!.GetValue<bool>());
        var problems = c["problems"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.Contains(problems, p => p.StartsWith("result:", StringComparison.Ordinal) && p.Contains("count"));
        Assert.Contains(problems, p => p.Contains("unknown key `extra`"));
    }

    [Fact]
    public void A_file_changed_after_install_is_refused_at_run_time()
    {
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "hello-bash")).Ok);
        var script = Path.Combine(_kit.Home, "plugins", "hello-bash", "hello.sh");
        var marker = _kit["pwned"];
        File.WriteAllText(script, $"#!/bin/sh\ntouch {marker}\necho '{{\"ok\":true,\"result\":{{}}}}'\n");
        var run = _kit.Resh("hellob://x.greet", "name=a");
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Contains("hello.sh", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.False(File.Exists(marker), "the changed plugin must not run");
        Assert.False(_kit.Resh("plugin://hello-bash.info").Result!["checksums_ok"]!.GetValue<bool>());
    }

    [Fact]
    public void A_checksum_mismatch_or_an_unlisted_file_in_the_source_is_refused_at_install()
    {
        var dir = _kit.CopySample("hello-py");
        File.AppendAllText(Path.Combine(dir, "hello.py"), "# edited\n");
        var run = _kit.Install(dir);
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Contains("hello.py", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.False(Directory.Exists(Path.Combine(_kit.Home, "plugins", "hello-py")));

        var dir2 = _kit.CopySample("hello-bash");
        File.WriteAllText(Path.Combine(dir2, "extra.sh"), "echo hi\n");
        Assert.Equal("conflict", _kit.Install(dir2).ErrorCode);
    }

    static string Manifest(string name = "evil", string scheme = "evil", string executable = "run.sh", string extraVerb = "") =>
        "{\"protocol\":1,\"name\":\"" + name + "\",\"version\":\"1.0.0\",\"scheme\":\"" + scheme + "\",\"summary\":\"s\",\"executable\":\"" + executable + "\","
        + "\"verbs\":[{\"name\":\"go\",\"summary\":\"g\"" + extraVerb + "}],\"checksums\":{\"" + executable + "\":\"sha256:" + new string('0', 64) + "\"}}";

    string Dir(string manifest, Action<string>? more = null)
    {
        var dir = _kit[$"m{Guid.NewGuid():N}"[..10]];
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "plugin.json"), manifest);
        more?.Invoke(dir);
        return dir;
    }

    [Theory]
    [InlineData("../evil", "evil", "run.sh")]
    [InlineData("evil", "../x", "run.sh")]
    [InlineData("Evil", "evil", "run.sh")]
    [InlineData("evil", "evil", "../../bin/sh")]
    [InlineData("evil", "evil", "/bin/sh")]
    [InlineData("evil", "evil", "a/./b")]
    [InlineData("evil", "file", "run.sh")]
    [InlineData("evil", "plugin", "run.sh")]
    public void Hostile_manifest_values_are_refused_and_nothing_is_written(string name, string scheme, string executable)
    {
        var run = _kit.Install(Dir(Manifest(name, scheme, executable)));
        Assert.True(run.ErrorCode is "usage" or "conflict", run.ToString());
        Assert.False(string.IsNullOrEmpty(run.Envelope["error"]!["hint"]?.GetValue<string>()));
        var store = Path.Combine(_kit.Home, "plugins");
        Assert.True(!Directory.Exists(store) || Directory.GetDirectories(store).All(d => Path.GetFileName(d) == ".state"));
    }

    [Theory]
    [InlineData(",\"args\":{\"type\":\"object\",\"properties\":{\"format\":{\"type\":\"string\"}}}")]
    [InlineData(",\"args\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"date\"}}}")]
    [InlineData(",\"args\":{\"type\":\"object\",\"properties\":{\"Bad-Name\":{\"type\":\"string\"}}}")]
    [InlineData(",\"args\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\"}},\"required\":[\"y\"]}")]
    [InlineData(",\"effect\":\"delete-everything\"")]
    public void Bad_argument_declarations_are_usage(string extra)
    {
        var run = _kit.Install(Dir(Manifest(extraVerb: extra)));
        Assert.Equal("usage", run.ErrorCode);
    }

    [Fact]
    public void Garbage_manifests_and_protocols_are_refused_with_envelopes()
    {
        Assert.Equal("usage", _kit.Install(Dir("not json")).ErrorCode);
        Assert.Equal("usage", _kit.Install(Dir("[1,2]")).ErrorCode);
        Assert.Equal("usage", _kit.Install(Dir(new string('[', 100000))).ErrorCode);
        Assert.Equal("unsupported", _kit.Install(Dir(Manifest().Replace("\"protocol\":1", "\"protocol\":2"))).ErrorCode);
        Assert.Equal("not_found", _kit.Install(_kit["nope"]).ErrorCode);
        var empty = _kit["empty"];
        Directory.CreateDirectory(empty);
        Assert.Equal("not_found", _kit.Install(empty).ErrorCode);
    }

    [Fact]
    public void A_symbolic_link_in_the_plugin_is_refused_even_as_the_executable()
    {
        var dir = Dir(Manifest(executable: "run.sh"), d => File.CreateSymbolicLink(Path.Combine(d, "run.sh"), "/bin/sh"));
        var run = _kit.Install(dir);
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Contains("symbolic link", run.Envelope["error"]!["message"]!.GetValue<string>());

        var linkedManifest = _kit["lm"];
        Directory.CreateDirectory(linkedManifest);
        File.CreateSymbolicLink(Path.Combine(linkedManifest, "plugin.json"), Path.Combine(PluginKit.Samples, "hello-py", "plugin.json"));
        Assert.Equal("usage", _kit.Install(linkedManifest).ErrorCode);
    }

    [Fact]
    public void As_nobody_the_store_is_the_users_own_and_another_users_store_is_refused()
    {
        if (Environment.UserName != "root") return; // needs root to switch users
        var home = _kit["nobody-home"];
        Directory.CreateDirectory(home);
        Shell.Run($"chown nobody {Shell.Q(home)} && chmod 700 {Shell.Q(home)} && chmod o+x {Shell.Q(_kit.Root)}");
        var sample = _kit.CopySample("hello-py");
        Shell.Run($"chmod -R o+rX {Shell.Q(sample)}");
        var bin = ReshBinary.Path;
        string AsNobody(string args) => Shell.Run($"cd / && RESH_HOME={Shell.Q(home)} setpriv --reuid=nobody --regid=nogroup --clear-groups {Shell.Q(bin)} {args} --format json").Stdout;
        var installed = JsonNode.Parse(AsNobody($"plugin://.install from={Shell.Q(sample)}"))!;
        Assert.True(installed["ok"]!.GetValue<bool>(), installed.ToJsonString());
        var echo = JsonNode.Parse(AsNobody("hellopy://x.echo name=n"))!;
        Assert.True(echo["ok"]!.GetValue<bool>(), echo.ToJsonString());
        var st = Shell.Run($"stat -c '%U %a' {Shell.Q(Path.Combine(home, "plugins"))} {Shell.Q(Path.Combine(home, "plugins", "hello-py"))}").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(st, s => Assert.Equal("nobody 700", s));

        // Root does not run plugins from nobody's store: a file another user controls is not root's to execute.
        var asRoot = ReshBinary.Run(["hellopy://x.echo", "name=n", "--format", "json"], env: new Dictionary<string, string> { ["RESH_HOME"] = home });
        Assert.Equal("usage", asRoot.ErrorCode);
        Assert.Contains("owned by uid", asRoot.Envelope["error"]!["hint"]!.GetValue<string>());
    }
}
