using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Proc;

/// <summary>proc:// against the real /proc of this machine; every process signalled is one the test started.</summary>
public sealed class ProcTests : IDisposable
{
    readonly ChildProcesses _procs = new();

    public void Dispose() => _procs.Dispose();

    static JsonArray Processes(ReshRun run) => run.Result!["processes"]!.AsArray();

    [Fact]
    public void Listing_every_process_includes_a_started_sleep_with_its_parent_and_user()
    {
        var sleep = _procs.Sleep();
        var run = ReshBinary.Run("proc://.list");
        Assert.Equal(0, run.ExitCode);
        var row = Processes(run).Single(p => p!["pid"]!.GetValue<int>() == sleep.Id)!;
        Assert.Equal(Environment.ProcessId, row["ppid"]!.GetValue<int>());
        Assert.Equal("sleep", row["name"]!.GetValue<string>());
        Assert.Equal("sleep 300", row["command"]!.GetValue<string>());
        Assert.Equal(MyEuid(), row["uid"]!.GetValue<long>());
        Assert.True(row["rss_bytes"]!.GetValue<long>() > 0);
        Assert.True(Processes(run).Count > 3);
    }

    [Fact]
    public void Listing_by_name_returns_only_processes_with_that_name()
    {
        var a = _procs.Sleep();
        var b = _procs.Sleep();
        var run = ReshBinary.Run("proc://sleep.list");
        Assert.Equal(0, run.ExitCode);
        var rows = Processes(run);
        Assert.All(rows, r => Assert.True(r!["name"]!.GetValue<string>() == "sleep" || r["command"]!.GetValue<string>().Split(' ')[0].EndsWith("sleep", StringComparison.Ordinal)));
        var pids = rows.Select(r => r!["pid"]!.GetValue<int>()).ToList();
        Assert.Contains(a.Id, pids);
        Assert.Contains(b.Id, pids);
    }

    [Fact]
    public void Listing_a_name_nothing_has_is_an_empty_list()
    {
        var run = ReshBinary.Run("proc://no-such-process-name-resh.list");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(0, run.Result!["count"]!.GetValue<int>());
    }

    [Fact]
    public void Listing_by_state_finds_a_stopped_process()
    {
        var sleep = _procs.Sleep();
        ChildProcesses.WaitUntil(() => ChildProcesses.State(sleep.Id) == 'S');
        Assert.Equal(0, ReshBinary.Run($"proc://{sleep.Id}.signal(signal=STOP)").ExitCode);
        ChildProcesses.WaitUntil(() => ChildProcesses.State(sleep.Id) == 'T');
        var run = ReshBinary.Run("proc://sleep.list(state=stopped)");
        Assert.Contains(Processes(run), r => r!["pid"]!.GetValue<int>() == sleep.Id);
        Assert.All(Processes(run), r => Assert.Equal("T", r!["state"]!.GetValue<string>()));
        Assert.Equal(0, ReshBinary.Run($"proc://{sleep.Id}.signal(signal=18)").ExitCode); // CONT by number
        ChildProcesses.WaitUntil(() => ChildProcesses.State(sleep.Id) == 'S');
    }

    [Fact]
    public void Info_of_a_pid_reports_argv_exe_parent_and_state()
    {
        var sleep = _procs.Start(["sh", "-c", "sleep 301; :", "two words"]);
        var run = ReshBinary.Run($"proc://{sleep.Id}.info");
        Assert.Equal(0, run.ExitCode);
        var r = run.Result!;
        Assert.Equal(["sh", "-c", "sleep 301; :", "two words"], r["argv"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(new FileInfo($"/proc/{sleep.Id}/exe").LinkTarget, r["exe"]!.GetValue<string>());
        Assert.Equal(Environment.ProcessId, r["ppid"]!.GetValue<int>());
        Assert.Equal(1, r["threads"]!.GetValue<int>());
        Assert.Equal("sh", r["name"]!.GetValue<string>());
        Assert.True(r["fd_count"]!.GetValue<int>() >= 3);
        Assert.Null(r["env"]);
    }

    [Fact]
    public void Info_with_env_redacts_secret_values()
    {
        var sleep = _procs.Start(["sleep", "302"], new Dictionary<string, string>
        {
            ["RESH_TEST_PASSWORD"] = "hunter2-secret",
            ["API_TOKEN"] = "tok-very-secret",
            ["DATABASE_URL"] = "postgres://app:pw-in-url@db/app",
            ["RESH_TEST_PLAIN"] = "visible-value",
        });
        var run = ReshBinary.Run($"proc://{sleep.Id}.info(env=true)");
        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain("hunter2-secret", run.Stdout);
        Assert.DoesNotContain("tok-very-secret", run.Stdout);
        Assert.DoesNotContain("pw-in-url", run.Stdout);
        var env = run.Result!["env"]!;
        Assert.Equal("visible-value", env["RESH_TEST_PLAIN"]!.GetValue<string>());
        Assert.Equal("postgres://app:***@db/app", env["DATABASE_URL"]!.GetValue<string>());
        var redacted = run.Result["env_redacted"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Contains("RESH_TEST_PASSWORD", redacted);
        Assert.Contains("API_TOKEN", redacted);
    }

    [Fact]
    public void Info_of_a_missing_pid_is_not_found()
    {
        var pid = UnusedPid();
        var run = ReshBinary.Run($"proc://{pid}.info");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("not_found", run.ErrorCode);
    }

    [Fact]
    public void Info_of_a_name_with_several_processes_is_a_conflict_naming_them()
    {
        var a = _procs.Sleep();
        _procs.Sleep();
        var run = ReshBinary.Run("proc://sleep.info");
        Assert.Equal("conflict", run.ErrorCode);
        Assert.Contains(run.Envelope["error"]!["details"]!["pids"]!.AsArray(), p => p!.GetValue<int>() == a.Id);
    }

    [Fact]
    public void Kill_stops_a_process_with_term_alone()
    {
        var sleep = _procs.Sleep();
        var run = ReshBinary.Run($"proc://{sleep.Id}.kill");
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Changed);
        var p = Processes(run).Single()!;
        Assert.Equal(["TERM"], p["signals"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.False(p["escalated"]!.GetValue<bool>());
        Assert.True(sleep.WaitForExit(5000));
    }

    [Fact]
    public void Kill_escalates_to_kill_when_term_is_ignored()
    {
        // trap '' TERM makes the signal ignored; exec keeps that disposition for sleep.
        var stubborn = _procs.Start(["sh", "-c", "trap '' TERM; exec sleep 303"]);
        ChildProcesses.WaitUntil(() => ChildProcesses.Comm(stubborn.Id) == "sleep");
        var run = ReshBinary.Run($"proc://{stubborn.Id}.kill(grace=300ms)");
        Assert.Equal(0, run.ExitCode);
        var p = Processes(run).Single()!;
        Assert.Equal(["TERM", "KILL"], p["signals"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.True(p["escalated"]!.GetValue<bool>());
        Assert.True(stubborn.WaitForExit(5000));
    }

    [Fact]
    public void Kill_under_dry_run_leaves_the_process_running()
    {
        var sleep = _procs.Sleep();
        var run = ReshBinary.Run($"proc://{sleep.Id}.kill", "--dry-run");
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Changed);
        Thread.Sleep(100);
        Assert.False(ChildProcesses.Gone(sleep.Id));
    }

    [Fact]
    public void Killing_pid_1_without_force_is_refused()
    {
        var run = ReshBinary.Run("proc://1.kill");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("usage", run.ErrorCode);
        var hup = ReshBinary.Run("proc://1.signal(signal=HUP)");
        Assert.Equal("usage", hup.ErrorCode);
    }

    [Fact]
    public void Signalling_resh_itself_without_force_is_refused()
    {
        var run = ReshBinary.Run("proc://self.signal(signal=TERM)");
        Assert.Equal("usage", run.ErrorCode);
    }

    [Fact]
    public void An_unknown_signal_name_is_a_usage_error_with_a_hint()
    {
        var sleep = _procs.Sleep();
        var run = ReshBinary.Run($"proc://{sleep.Id}.signal(signal=TREM)");
        Assert.Equal("usage", run.ErrorCode);
        Assert.NotNull(run.Envelope["error"]!["hint"]);
        Assert.False(ChildProcesses.Gone(sleep.Id));
    }

    [Fact]
    public void Signal_by_linux_number_delivers_that_signal()
    {
        var sleep = _procs.Sleep();
        var run = ReshBinary.Run($"proc://{sleep.Id}.signal(signal=10)"); // USR1 on Linux; its default action terminates
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("USR1", run.Result!["signal"]!.GetValue<string>());
        Assert.True(sleep.WaitForExit(5000));
        Assert.Equal(128 + 10, sleep.ExitCode);
    }

    [Fact]
    public void Wait_returns_once_the_process_has_exited()
    {
        var shortLived = _procs.Start(["sleep", "0.4"]);
        var run = ReshBinary.Run($"proc://{shortLived.Id}.wait(timeout=20s)");
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Result!["exited"]!.GetValue<bool>());
    }

    [Fact]
    public void Wait_gives_up_with_timeout_while_the_process_runs()
    {
        var sleep = _procs.Sleep();
        var run = ReshBinary.Run($"proc://{sleep.Id}.wait(timeout=200ms)");
        Assert.Equal(6, run.ExitCode);
        Assert.Equal("timeout", run.ErrorCode);
    }

    [Fact]
    public void Nice_set_changes_the_value_and_a_second_run_is_unchanged()
    {
        var sleep = _procs.Sleep();
        var first = ReshBinary.Run($"proc://{sleep.Id}.nice.set(value=7)");
        Assert.Equal(0, first.ExitCode);
        Assert.True(first.Changed);
        var second = ReshBinary.Run($"proc://{sleep.Id}.nice.set(value=7)");
        Assert.False(second.Changed);
        var get = ReshBinary.Run($"proc://{sleep.Id}.nice.get");
        Assert.Equal(7, Processes(get).Single()!["nice"]!.GetValue<int>());
        var stat = File.ReadAllText($"/proc/{sleep.Id}/stat");
        Assert.Equal("7", stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16]);
    }

    [Fact]
    public void Limits_set_changes_the_target_process_and_not_resh()
    {
        var sleep = _procs.Sleep();
        var run = ReshBinary.Run($"proc://{sleep.Id}.limits.set(resource=nofile,soft=123)");
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Changed);
        Assert.Equal(123, NoFileSoft(sleep.Id));
        var again = ReshBinary.Run($"proc://{sleep.Id}.limits.set(resource=nofile,soft=123)");
        Assert.False(again.Changed);
        var get = ReshBinary.Run($"proc://{sleep.Id}.limits.get(resource=nofile)");
        Assert.Equal(123, Processes(get).Single()!["limits"]![0]!["soft"]!.GetValue<long>());
    }

    [Fact]
    public void Raising_a_hard_limit_needs_cap_sys_resource()
    {
        var sleep = _procs.Sleep();
        var hard = NoFileHard(sleep.Id);
        var run = ReshBinary.Run($"proc://{sleep.Id}.limits.set(resource=nofile,hard={hard + 1000})");
        if (HasCapSysResource())
        {
            Assert.Equal(0, run.ExitCode);
            Assert.Equal(hard + 1000, NoFileHard(sleep.Id));
        }
        else
        {
            Assert.Equal(4, run.ExitCode);
            Assert.Equal("permission_denied", run.ErrorCode);
            Assert.Equal(hard, NoFileHard(sleep.Id));
        }
    }

    [Fact]
    public void A_soft_limit_above_the_hard_limit_is_a_usage_error()
    {
        var sleep = _procs.Sleep();
        var run = ReshBinary.Run($"proc://{sleep.Id}.limits.set(resource=nofile,soft=unlimited)");
        Assert.Equal("usage", run.ErrorCode);
    }

    [Fact]
    public void Ports_shows_a_listening_socket_and_its_owner()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 24201);
        listener.Start();
        var run = ReshBinary.Run($"proc://{Environment.ProcessId}.ports(protocol=tcp)");
        Assert.Equal(0, run.ExitCode);
        var port = run.Result!["ports"]!.AsArray().Single(p => p!["port"]!.GetValue<int>() == 24201)!;
        Assert.Equal("listen", port["state"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", port["address"]!.GetValue<string>());
        Assert.Equal(Environment.ProcessId, port["pid"]!.GetValue<int>());
        var all = ReshBinary.Run("proc://.ports(port=24201)");
        Assert.Equal(Environment.ProcessId, all.Result!["ports"]![0]!["pid"]!.GetValue<int>());
    }

    [Fact]
    public void Files_lists_a_file_the_process_has_open()
    {
        using var dir = new TempDir("procfiles");
        var path = dir.File("held-open.txt", "x");
        using var held = File.OpenRead(path);
        var run = ReshBinary.Run($"proc://{Environment.ProcessId}.files");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.Result!["files"]!.AsArray(), f => f!["target"]!.GetValue<string>() == path && f["type"]!.GetValue<string>() == "file");
    }

    [Fact]
    public void Spawn_starts_a_detached_process_in_its_own_session_that_logs_to_a_file()
    {
        using var dir = new TempDir("spawn");
        var log = dir["out.log"];
        var run = ReshBinary.Run(["proc://.spawn", $"stdout={log}", "env=RESH_SPAWN_GREETING=hello from spawn", $"cwd={dir.Path}", "--",
            "sh", "-c", "echo \"$RESH_SPAWN_GREETING in $(pwd)\"; echo oops >&2; exec sleep 304"]);
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Changed);
        var pid = run.Result!["pid"]!.GetValue<int>();
        _procs.Adopt(pid);
        ChildProcesses.WaitUntil(() => ChildProcesses.Comm(pid) == "sleep");
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        Assert.Equal(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[3]); // session id == pid: setsid
        ChildProcesses.WaitUntil(() => File.Exists(log) && File.ReadAllText(log).Contains("oops"));
        Assert.Contains($"hello from spawn in {dir.Path}", File.ReadAllText(log));
        Assert.DoesNotContain("hello from spawn", run.Stdout);
        Assert.Equal(0, ReshBinary.Run($"proc://{pid}.kill").ExitCode);
    }

    [Fact]
    public void Spawning_a_missing_program_is_not_found()
    {
        var run = ReshBinary.Run("proc://.spawn", "--", "/no/such/program-resh");
        Assert.Equal("not_found", run.ErrorCode);
    }

    [Fact]
    public void Children_and_tree_show_what_a_shell_started()
    {
        var shell = _procs.Start(["sh", "-c", "sleep 305 & sleep 306 & wait"]);
        ChildProcesses.WaitUntil(() => Directory.EnumerateDirectories("/proc").Count(d =>
            File.Exists(d + "/stat") && ReadPpid(d) == shell.Id) == 2);
        var children = ReshBinary.Run($"proc://{shell.Id}.children");
        Assert.Equal(0, children.ExitCode);
        Assert.Equal(2, children.Result!["count"]!.GetValue<int>());
        Assert.All(Processes(children), c => Assert.Equal("sleep", c!["name"]!.GetValue<string>()));
        var tree = ReshBinary.Run($"proc://{shell.Id}.tree");
        var root = tree.Result!["roots"]!.AsArray().Single()!;
        Assert.Equal(shell.Id, root["pid"]!.GetValue<int>());
        Assert.Equal(2, root["children"]!.AsArray().Count);
        var whole = ReshBinary.Run("proc://.tree");
        Assert.True(whole.Result!["count"]!.GetValue<int>() > 3);
    }

    [Fact]
    public void Top_samples_cpu_use_over_the_interval()
    {
        var busy = _procs.Start(["sh", "-c", "while :; do :; done"]);
        var run = ReshBinary.Run("proc://.top(interval=500ms,limit=50)");
        Assert.Equal(0, run.ExitCode);
        var row = run.Result!["top"]!.AsArray().FirstOrDefault(p => p!["pid"]!.GetValue<int>() == busy.Id);
        Assert.NotNull(row);
        Assert.True(row!["cpu_percent"]!.GetValue<double>() > 5);
    }

    static long MyEuid() => long.Parse(File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal))
        .Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture);

    static int? ReadPpid(string dir)
    {
        try
        {
            var s = File.ReadAllText(dir + "/stat");
            return int.Parse(s[(s.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { return null; }
    }

    static long NoFile(int pid, int column)
    {
        var line = File.ReadAllLines($"/proc/{pid}/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        return long.Parse(line[14..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[column], System.Globalization.CultureInfo.InvariantCulture);
    }

    static long NoFileSoft(int pid) => NoFile(pid, 0);
    static long NoFileHard(int pid) => NoFile(pid, 1);

    static bool HasCapSysResource()
    {
        var line = File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        var caps = Convert.ToUInt64(line[7..].Trim(), 16);
        return (caps & (1UL << 24)) != 0;
    }

    static int UnusedPid()
    {
        var max = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        for (var pid = max - 1; pid > 1000; pid--)
            if (!Directory.Exists($"/proc/{pid}")) return pid;
        throw new InvalidOperationException("no unused pid");
    }
}

/// <summary>The proc:// calls issue 4 lists "exactly as written".</summary>
public sealed class ProcExactCallsTests
{
    [Theory]
    [InlineData("proc://1234.info", "info")]
    [InlineData("proc://.list", "list")]
    [InlineData("proc://nginx.list", "list")]
    public void Each_listed_call_answers_with_an_envelope_for_its_verb(string stage, string verb)
    {
        var run = ReshBinary.Run(stage);
        Assert.Equal("proc", run.Envelope["handle"]!.GetValue<string>());
        Assert.Equal(verb, run.Envelope["verb"]!.GetValue<string>());
        Assert.True(run.ExitCode == 0 || run.ErrorCode == "not_found", run.ToString());
    }

    [Fact]
    public void Kill_of_a_pid_parses_as_written_and_dry_run_touches_nothing()
    {
        // --dry-run: PID 1234 may belong to someone else on this machine.
        var run = ReshBinary.Run("--dry-run", "proc://1234.kill");
        Assert.Equal("kill", run.Envelope["verb"]!.GetValue<string>());
        Assert.True(run.ExitCode == 0 || run.ErrorCode is "not_found" or "usage", run.ToString());
    }
}
