using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin;

/// <summary>
/// Review s35 (P5–P8): a disabled plugin does not run (not through test, not after its state file is damaged),
/// --dry-run runs a write verb only when the manifest says it honours it, leftovers of killed installs are swept,
/// and a plugin's children do not outlive the call.
/// </summary>
public sealed class PluginTrustTests : IDisposable
{
    readonly PluginKit _kit = new();
    public void Dispose() => _kit.Dispose();

    string InstallPy(bool dryRunDeclared = true)
    {
        var dir = _kit.CopySample("hello-py");
        if (!dryRunDeclared)
        {
            var manifest = Path.Combine(dir, "plugin.json");
            var json = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
            foreach (var v in json["verbs"]!.AsArray())
            {
                v!.AsObject().Remove("dry_run");
                if (Json.S(v["name"]) == "touch")
                    v["examples"] = new JsonArray(new JsonObject { ["call"] = "hellopy://F.touch content=x", ["target"] = _kit["example.txt"], ["args"] = new JsonObject { ["content"] = "x" } });
            }
            File.WriteAllText(manifest, json.ToJsonString());
        }
        var run = _kit.Install(dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        return dir;
    }

    [Fact]
    public void P5_test_refuses_a_disabled_plugin_and_runs_none_of_its_examples()
    {
        InstallPy();
        Assert.True(_kit.Resh("plugin://hello-py.disable").Ok);
        var run = _kit.Resh("plugin://hello-py.test");
        Assert.Equal(5, run.ExitCode);
        Assert.Equal("conflict", run.ErrorCode);
        Assert.Contains("disabled", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains("path=", run.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.True(_kit.Resh("plugin://hello-py.enable").Ok);
        Assert.True(_kit.Resh("plugin://hello-py.test").Ok);
    }

    [Fact]
    public void P6_dry_run_of_a_write_verb_that_does_not_declare_dry_run_is_unsupported_and_runs_nothing()
    {
        InstallPy(dryRunDeclared: false);
        var file = _kit["made.txt"];
        var dry = _kit.Resh($"hellopy://{file}.touch", "content=x", "--dry-run");
        Assert.Equal(8, dry.ExitCode);
        Assert.Equal("unsupported", dry.ErrorCode);
        Assert.Contains("dry_run", dry.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.False(File.Exists(file));
        // plugin://NAME.test --dry-run does not run that verb's examples either.
        var test = _kit.Resh("plugin://hello-py.test", "--dry-run");
        Assert.Contains(test.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("touch"));
        Assert.DoesNotContain(test.Envelope["result"]!["cases"]!.AsArray(), c => Json.S(c!["verb"]) == "touch");
        Assert.False(File.Exists(_kit["example.txt"]));
        // A read verb still runs under --dry-run, and the write verb runs without it.
        Assert.True(_kit.Resh("hellopy://x.echo", "name=n", "--dry-run").Ok);
        Assert.True(_kit.Resh($"hellopy://{file}.touch", "content=x").Ok);
        Assert.True(File.Exists(file));
    }

    [Theory]
    [InlineData("{\"enabled\":false")]
    [InlineData("[]")]
    [InlineData("")]
    [InlineData(null)]
    public void P7_a_damaged_or_missing_state_file_fails_closed(string? content)
    {
        InstallPy();
        Assert.True(_kit.Resh("plugin://hello-py.disable").Ok);
        var state = Path.Combine(_kit.Home, "plugins", ".state", "hello-py.json");
        if (content is null) File.Delete(state); else File.WriteAllText(state, content);

        var call = _kit.Resh("hellopy://x.echo", "name=n");
        Assert.False(call.Ok, call.ToString());
        Assert.Contains("state file", call.Envelope["error"]!["hint"]!.GetValue<string>() + call.Envelope["error"]!["message"]!.GetValue<string>());
        var listed = _kit.Resh("plugin://.list").Result!["plugins"]!.AsArray().Single()!;
        Assert.False(listed["enabled"]!.GetValue<bool>());
        Assert.Contains("state file", Json.S(listed["problem"]));
        Assert.Equal("conflict", _kit.Resh("plugin://hello-py.test").ErrorCode);

        Assert.True(_kit.Resh("plugin://hello-py.enable").Ok);
        Assert.True(_kit.Resh("hellopy://x.echo", "name=n").Ok);
    }

    [Fact]
    public void P8_list_and_install_sweep_work_dirs_of_dead_installs_and_put_a_moved_aside_plugin_back()
    {
        InstallPy();
        var root = Path.Combine(_kit.Home, "plugins");
        var dead = 999_999;
        while (Directory.Exists($"/proc/{dead}")) dead--;
        var leftover = Path.Combine(root, $".install-{dead}-big-0123456789abcdef");
        var removing = Path.Combine(root, $".remove-{dead}-gone-0123456789abcdef");
        var live = Path.Combine(root, $".install-{Environment.ProcessId}-busy-0123456789abcdef");
        foreach (var d in new[] { leftover, removing, live }) { Directory.CreateDirectory(d); File.WriteAllText(Path.Combine(d, "f"), "x"); }
        // A swap killed between its two renames: the installed copy is only in .old-PID-NAME-*.
        var aside = Path.Combine(root, $".old-{dead}-hello-py-0123456789abcdef");
        Directory.Move(Path.Combine(root, "hello-py"), aside);

        var list = _kit.Resh("plugin://.list");
        Assert.True(list.Ok, list.ToString());
        Assert.False(Directory.Exists(leftover));
        Assert.False(Directory.Exists(removing));
        Assert.False(Directory.Exists(aside));
        Assert.True(Directory.Exists(live)); // its creator (this test process) is alive
        Assert.Equal("hello-py", Json.S(list.Result!["plugins"]!.AsArray().Single()!["name"]));
        Assert.True(_kit.Resh("hellopy://x.echo", "name=n").Ok);

        // Install sweeps too.
        Directory.CreateDirectory(leftover);
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "hello-bash")).Ok);
        Assert.False(Directory.Exists(leftover));
    }

    /// <summary>A bash plugin whose verbs start 50 background sleeps, then answer (go) or hang (hang).</summary>
    string ForkPlugin(string marker)
    {
        var dir = _kit["forkb"];
        Directory.CreateDirectory(dir);
        var script = $$$"""
#!/usr/bin/env bash
read -r req
for i in $(seq 50); do (sleep {{{marker}}} </dev/null >/dev/null 2>&1 &); done
case "$req" in
  *'"hang"'*) exec sleep {{{marker}}} </dev/null >/dev/null 2>&1 ;;
esac
printf '%s\n' '{"ok":true,"changed":false,"result":{}}'

""";
        File.WriteAllText(Path.Combine(dir, "run.sh"), script);
        File.SetUnixFileMode(Path.Combine(dir, "run.sh"), (UnixFileMode)0x1ED);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "run.sh"))));
        var manifest = new JsonObject
        {
            ["protocol"] = 1, ["name"] = "forkb", ["version"] = "1.0.0", ["scheme"] = "forkb", ["summary"] = "Leaves children.",
            ["executable"] = "run.sh", ["mode"] = "oneshot",
            ["verbs"] = new JsonArray(new JsonObject { ["name"] = "go" }, new JsonObject { ["name"] = "hang" }),
            ["checksums"] = new JsonObject { ["run.sh"] = "sha256:" + sha },
        };
        File.WriteAllText(Path.Combine(dir, "plugin.json"), manifest.ToJsonString());
        var run = _kit.Install(dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        return dir;
    }

    static int[] Sleepers(string marker)
    {
        var r = Shell.Run($"pgrep -f -x {Shell.Q("sleep " + marker)} || true");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
    }

    [Fact]
    public void P4_children_of_a_plugin_do_not_outlive_a_normal_answer_or_a_timeout()
    {
        var marker = "4" + Random.Shared.Next(100_000, 999_999) + ".5";
        ForkPlugin(marker);
        try
        {
            var ok = _kit.Resh("forkb://x.go");
            Assert.True(ok.Ok, ok.ToString());
            Thread.Sleep(300);
            Assert.Empty(Sleepers(marker));

            var hang = _kit.Resh("forkb://x.hang", "--timeout", "2s");
            Assert.Equal("timeout", hang.ErrorCode);
            Thread.Sleep(300);
            Assert.Empty(Sleepers(marker));
        }
        finally
        {
            foreach (var pid in Sleepers(marker))
                try { System.Diagnostics.Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
    }

    /// <summary>Waits for a file of two pids (the plugin and its background child) a plugin writes.</summary>
    static int[] WaitForPids(string pidfile)
    {
        for (int i = 0; i < 300; i++)
        {
            try
            {
                var pids = File.ReadAllText(pidfile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
                if (pids.Length == 2) return pids;
            }
            catch (Exception ex) when (ex is IOException or FormatException) { }
            Thread.Sleep(100);
        }
        return [];
    }

    static void KillLeftovers(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
            try { System.Diagnostics.Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
    }

    [Theory]
    [InlineData("bad", "bad://.hang")]   // oneshot, in the middle of a call
    [InlineData("nd", "nd://x.hang")]    // ndjson, its long-lived process
    public void P4_a_plugin_and_its_grandchild_die_when_resh_is_killed_with_SIGKILL(string sample, string call)
    {
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, sample)).Ok);
        var pidfile = _kit["pids"];
        if (sample == "nd")
        {
            // The nd plugin's spawn verb writes the pids, then hang keeps the call open.
            var psiNd = Start("batch");
            using var ndResh = System.Diagnostics.Process.Start(psiNd)!;
            ndResh.StandardInput.WriteLine(new JsonObject { ["id"] = 1, ["stage"] = "nd://x.spawn", ["args"] = new JsonObject { ["pidfile"] = pidfile } }.ToJsonString());
            ndResh.StandardInput.WriteLine(new JsonObject { ["id"] = 2, ["stage"] = call }.ToJsonString());
            ndResh.StandardInput.Flush();
            KilledResh(ndResh, pidfile);
            return;
        }
        var psi = Start(call, $"pidfile={pidfile}", "--timeout", "120s");
        using var resh = System.Diagnostics.Process.Start(psi)!;
        KilledResh(resh, pidfile);
    }

    System.Diagnostics.ProcessStartInfo Start(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(ReshBinary.Path)
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["RESH_HOME"] = _kit.Home;
        psi.Environment.Remove("RESH_CONFIG");
        return psi;
    }

    static void KilledResh(System.Diagnostics.Process resh, string pidfile)
    {
        var pids = WaitForPids(pidfile);
        try
        {
            Assert.Equal(2, pids.Length);
            Thread.Sleep(300); // the hang request is in flight
            Assert.All(pids, pid => Assert.True(Directory.Exists($"/proc/{pid}"), $"{pid} is not running before the kill"));
            resh.Kill(); // SIGKILL to resh alone: no cleanup code of resh runs
            Assert.True(resh.WaitForExit(10_000));
            foreach (var pid in pids) Assert.True(PluginHostileTests.GoneSoon(pid), $"process {pid} outlived resh killed with SIGKILL");
        }
        finally { KillLeftovers(pids); }
    }

    [Fact]
    public void A_store_below_a_directory_others_may_write_is_refused_at_install_and_run()
    {
        var open = _kit["open"];
        Directory.CreateDirectory(open);
        var home = Path.Combine(open, "home");
        Directory.CreateDirectory(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var env = new Dictionary<string, string> { ["RESH_HOME"] = home };
        ReshRun Run(params string[] args) => ReshBinary.Run(args.Append("--format").Append("json"), env: env);
        var src = _kit.CopySample("hello-py");
        Assert.True(Run("plugin://.install", $"from={src}").Ok); // open is 0755 so far
        var marker = _kit["ran"];
        Assert.True(Run("hellopy://" + marker + ".touch").Ok);
        File.Delete(marker);

        File.SetUnixFileMode(open, (UnixFileMode)0x1ff); // 0777, no sticky bit: anyone may rename home away
        var call = Run("hellopy://" + marker + ".touch");
        Assert.False(call.Ok);
        Assert.Contains("group or others may write", call.Stdout);
        Assert.Contains(open, call.Stdout);
        Assert.False(File.Exists(marker), "the plugin ran from a store others could swap");
        var install = Run("plugin://.install", $"from={src}", "force=true");
        Assert.Equal("permission_denied", install.ErrorCode);
        Assert.Contains(open, install.Envelope["error"]!["details"]!["parent"]!.GetValue<string>());

        File.SetUnixFileMode(open, (UnixFileMode)0x3ff); // 1777: sticky, others cannot rename what this user owns
        Assert.True(Run("hellopy://" + marker + ".touch").Ok);
        Assert.True(File.Exists(marker));
    }

    [Fact]
    public void Mcp_read_only_offers_plugin_verbs_only_when_the_operator_allows_plugin_reads()
    {
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "nd")).Ok);
        var pidfile = _kit["mcp-pids"];
        string Session() => string.Join("\n",
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""",
            """{"jsonrpc":"2.0","method":"notifications/initialized"}""",
            """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""",
            new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 3, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = "nd_spawn", ["arguments"] = new JsonObject { ["target"] = "x", ["pidfile"] = pidfile } } }.ToJsonString()) + "\n";
        List<JsonObject> Mcp(params string[] flags)
        {
            var run = _kit.Resh(["mcp", "--read-only", "--allow", "nd.*", .. flags], Session(), wait: TimeSpan.FromSeconds(60));
            return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
        }
        static JsonObject ById(List<JsonObject> lines, int id) => lines.Single(l => l["id"]?.GetValue<int>() == id);
        static string[] Tools(List<JsonObject> lines) => ById(lines, 2)["result"]!["tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToArray();
        static JsonObject Envelope(List<JsonObject> lines) => ById(lines, 3)["result"]!["structuredContent"]!.AsObject();

        var strict = Mcp();
        Assert.DoesNotContain("nd_spawn", Tools(strict));
        Assert.Equal("permission_denied", Envelope(strict)["error"]!["code"]!.GetValue<string>());
        Assert.Contains("--allow-plugin-reads", Envelope(strict)["error"]!["hint"]!.GetValue<string>());
        Assert.False(File.Exists(pidfile), "a plugin verb ran under --read-only");

        var opted = Mcp("--allow-plugin-reads");
        Assert.Contains("nd_spawn", Tools(opted));
        Assert.True(Envelope(opted)["ok"]!.GetValue<bool>(), Envelope(opted).ToJsonString());
        Assert.True(File.Exists(pidfile));
        KillLeftovers(WaitForPids(pidfile));
    }
}
