using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Lock;

/// <summary>
/// Issue 16, lock:// with the local backend: runs under one lock never overlap, a holder killed with SIGKILL frees the
/// lock at once, tokens guard release, and names cannot reach outside the lock directory.
/// </summary>
public sealed class LockTests : IDisposable
{
    readonly TempDir _dir = new("lock");
    readonly string _home;

    public LockTests()
    {
        _home = _dir["home"];
        Directory.CreateDirectory(_home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => _dir.Dispose();

    ReshRun Resh(params string[] args) => ReshBinary.Run(args, env: new Dictionary<string, string> { ["RESH_HOME"] = _home });

    static JsonNode Json(ReshRun run) => JsonNode.Parse(run.Stdout) ?? throw new Xunit.Sdk.XunitException("no JSON: " + run.Stderr);

    JsonNode Status(string name) => Json(Resh($"lock:///{name}.status", "--format", "json"))["result"]!;

    [Fact]
    public async Task Twenty_concurrent_runs_increment_a_shared_counter_exactly()
    {
        var counter = _dir.File("counter", "0");
        // Read, pause, write: without the lock the runs would overwrite each other's increments.
        var script = $"n=$(cat {counter}); sleep 0.02; echo $((n+1)) > {counter}";
        var runs = Enumerable.Range(0, 20).Select(_ => Task.Run(() => Resh("lock:///counter.run", "wait=180s", "--format", "json", "--", "/bin/sh", "-c", script))).ToArray();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr));
        Assert.Equal("20", File.ReadAllText(counter).Trim());
        Assert.False(Status("counter")["held"]!.GetValue<bool>());
    }

    [Fact]
    public void A_command_given_as_one_line_is_split_into_words_without_a_shell()
    {
        // The call, exactly as written.
        var nightly = Resh("lock:///nightly.run(command=sleep 1,wait=5s)", "--format", "json");
        Assert.True(nightly.ExitCode == 0, nightly.Stdout + nightly.Stderr);
        Assert.Equal(["sleep", "1"], Json(nightly)["result"]!["command"]!.AsArray().Select(w => w!.GetValue<string>()));

        // Quotes group words; nothing is expanded ($HOME stays as written, ; is an ordinary character).
        var quoted = Resh("lock:///words.run", "command=printf '%s|' 'a b' \\$HOME c;d", "--format", "json");
        Assert.True(quoted.ExitCode == 0, quoted.Stdout + quoted.Stderr);
        Assert.Equal("a b|$HOME|c;d|", Json(quoted)["result"]!["stdout"]!.GetValue<string>());

        var open = Resh("lock:///words.run", "command=echo 'open", "--format", "json");
        Assert.Equal(2, open.ExitCode);
        Assert.Equal("usage", Json(open)["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public void A_held_lock_is_conflict_naming_its_holder_and_is_free_the_moment_the_holder_is_killed()
    {
        using var owner = Process.Start("sleep", "120");
        try
        {
            var acquire = Resh("lock:///deploy.acquire", $"owner_pid={owner.Id}", "note=release 1.4", "--format", "json");
            Assert.True(acquire.ExitCode == 0, acquire.Stdout + acquire.Stderr);
            var token = Json(acquire)["result"]!["token"]!.GetValue<string>();
            Assert.Equal(32, token.Length);

            var second = Resh("lock:///deploy.acquire", "--format", "json");
            Assert.Equal(5, second.ExitCode);
            var error = Json(second)["error"]!;
            Assert.Equal("conflict", error["code"]!.GetValue<string>());
            Assert.Equal(owner.Id, error["details"]!["pid"]!.GetValue<int>());
            Assert.Equal("release 1.4", error["details"]!["note"]!.GetValue<string>());

            // A run of the same lock is refused as well, and its command never starts.
            var marker = _dir["ran"];
            Assert.Equal(5, Resh("lock:///deploy.run", "--", "/usr/bin/touch", marker).ExitCode);
            Assert.False(File.Exists(marker));
            // s31 user D8: a command's own exit status 5 and lock.run's `conflict` were the same number; conflict_exit=
            // (flock -E) tells them apart, for a lock held and for a wait that runs out, and the envelope still says conflict.
            var told = Resh("lock:///deploy.run", "conflict_exit=75", "--format", "json", "--", "/usr/bin/touch", marker);
            Assert.Equal(75, told.ExitCode);
            Assert.Equal("conflict", Json(told)["error"]!["code"]!.GetValue<string>());
            Assert.Equal(75, Resh("lock:///deploy.run", "conflict_exit=75", "wait=200ms", "--", "/usr/bin/touch", marker).ExitCode);
            Assert.False(File.Exists(marker));
            Assert.Equal(2, Resh("lock:///deploy.run", "conflict_exit=0", "--", "/bin/true").ExitCode);

            var status = Status("deploy");
            Assert.True(status["held"]!.GetValue<bool>());
            Assert.Equal(owner.Id, status["holder"]!["pid"]!.GetValue<int>());
        }
        finally
        {
            owner.Kill();
            owner.WaitForExit();
        }
        Assert.False(Status("deploy")["held"]!.GetValue<bool>());
        Assert.Equal(0, Resh("lock:///deploy.acquire").ExitCode);
    }

    [Fact]
    public void Release_needs_the_token_or_force_and_a_second_release_changes_nothing()
    {
        using var owner = Process.Start("sleep", "120");
        try
        {
            var token = Json(Resh("lock:///db.acquire", $"owner_pid={owner.Id}", "--format", "json"))["result"]!["token"]!.GetValue<string>();
            Assert.Equal(2, Resh("lock:///db.release").ExitCode);
            var wrong = Resh("lock:///db.release", "token=" + new string('0', 32), "--format", "json");
            Assert.Equal(5, wrong.ExitCode);
            Assert.True(Status("db")["held"]!.GetValue<bool>());

            var dry = Json(Resh("lock:///db.release", "token=" + token, "--dry-run", "--format", "json"));
            Assert.True(dry["changed"]!.GetValue<bool>());
            Assert.True(Status("db")["held"]!.GetValue<bool>());

            var release = Json(Resh("lock:///db.release", "token=" + token, "--format", "json"));
            Assert.True(release["changed"]!.GetValue<bool>());
            Assert.False(Status("db")["held"]!.GetValue<bool>());
            Assert.False(Json(Resh("lock:///db.release", "token=" + token, "--format", "json"))["changed"]!.GetValue<bool>());

            Json(Resh("lock:///db.acquire", $"owner_pid={owner.Id}", "--format", "json"));
            Assert.True(Json(Resh("lock:///db.release", "force=true", "--format", "json"))["result"]!["released"]!.GetValue<bool>());
        }
        finally
        {
            owner.Kill();
            owner.WaitForExit();
        }
    }

    [Fact]
    public void A_ttl_lease_ends_by_itself()
    {
        using var owner = Process.Start("sleep", "120");
        try
        {
            Assert.Equal(0, Resh("lock:///short.acquire", $"owner_pid={owner.Id}", "ttl=1s").ExitCode);
            Assert.Equal(5, Resh("lock:///short.acquire").ExitCode);
            Thread.Sleep(1500);
            Assert.False(Status("short")["held"]!.GetValue<bool>());
            Assert.Equal(0, Resh("lock:///short.acquire", "wait=5s").ExitCode);
        }
        finally
        {
            owner.Kill();
            owner.WaitForExit();
        }
    }

    [Fact]
    public void A_failing_command_gives_its_exit_status_and_releases_the_lock()
    {
        var run = Resh("lock:///job.run", "--format", "json", "--", "/bin/sh", "-c", "echo out; echo boom >&2; exit 3");
        Assert.Equal(3, run.ExitCode);
        var error = Json(run)["error"]!;
        Assert.Equal("failed", error["code"]!.GetValue<string>());
        Assert.Equal(3, error["details"]!["exit_code"]!.GetValue<int>());
        Assert.Contains("boom", error["details"]!["stderr"]!.GetValue<string>());
        Assert.False(Status("job")["held"]!.GetValue<bool>());

        var ok = Json(Resh("lock:///job.run", "--format", "json", "--", "/bin/echo", "hello"))["result"]!;
        Assert.Equal("hello\n", ok["stdout"]!.GetValue<string>());
        Assert.Equal(0, ok["exit_code"]!.GetValue<int>());
        Assert.Equal(3, Resh("lock:///job.run", "--", "/nonexistent/program").ExitCode);

        // A dry run runs nothing, so it has no exit status to report (not a made-up 0), and leaves no trace.
        var marker = Path.Combine(Path.GetTempPath(), "resh-lock-dry-" + Guid.NewGuid().ToString("N"));
        var dry = Json(Resh("lock:///job.run", "--dry-run", "--format", "json", "--", "/usr/bin/touch", marker))["result"]!;
        Assert.Null(dry["exit_code"]);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void With_format_raw_the_command_gets_resh_stdin_and_its_output_streams_through_like_flock()
    {
        // s32 user #10: flock(1) is transparent; lock.run --format raw is too (stdin in, stdout and stderr out, its status).
        var run = ReshBinary.Run(["lock:///pipe.run", "--format", "raw", "--", "/bin/sh", "-c", "tr a-z A-Z; echo to-err >&2; exit 4"],
            stdin: "quiet input\n", env: new Dictionary<string, string> { ["RESH_HOME"] = _home });
        Assert.Equal(4, run.ExitCode);
        Assert.Equal("QUIET INPUT\n", run.Stdout);
        Assert.Contains("to-err", run.Stderr);
        Assert.DoesNotContain("\"ok\"", run.Stdout + run.Stderr);
        Assert.False(Status("pipe")["held"]!.GetValue<bool>());

        // ndjson: a line event per output line, then the envelope, which says the output was streamed.
        var nd = ReshBinary.Run(["lock:///pipe.run", "--format", "ndjson", "--", "/bin/sh", "-c", "echo one; echo two"],
            stdin: "", env: new Dictionary<string, string> { ["RESH_HOME"] = _home });
        Assert.Equal(0, nd.ExitCode);
        Assert.Equal(["one", "two"], nd.Events.Where(e => e["event"]!.GetValue<string>() == "stdout").Select(e => e["line"]!.GetValue<string>()));
        Assert.True(nd.Result!["streamed"]!.GetValue<bool>());
        Assert.Equal("", nd.Result!["stdout"]!.GetValue<string>());

        // A last line without a line end still comes out when a process left in the background holds the pipe (s33 attacker #9).
        var held = ReshBinary.Run(["lock:///pipe.run", "--format", "ndjson", "--", "/bin/sh", "-c", "printf 'partial line' >&2; sleep 4 & exit 0"],
            stdin: "", env: new Dictionary<string, string> { ["RESH_HOME"] = _home });
        Assert.Equal(0, held.ExitCode);
        Assert.Contains(held.Events, e => e["event"]!.GetValue<string>() == "stderr" && e["line"]!.GetValue<string>() == "partial line");
    }

    [Fact]
    public async Task SIGTERM_to_resh_gives_the_command_SIGTERM_and_time_to_run_its_handler()
    {
        // s33 user #7: the command was killed at once (SIGKILL), so a backup's TERM handler never ran.
        var marker = _dir["trapped"];
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "lock:///term.run", "--", "/bin/sh", "-c", $"trap 'sleep 0.3; echo trapped > {marker}; exit 0' TERM; while :; do sleep 0.1; done" })
            psi.ArgumentList.Add(a);
        psi.Environment["RESH_HOME"] = _home;
        using var resh = Process.Start(psi)!;
        try
        {
            var started = false;
            for (var i = 0; i < 200 && !started; i++)
            {
                started = Status("term")["holder"]?["child_pid"] is not null;
                if (!started) await Task.Delay(50);
            }
            Assert.True(started);
            Shell.Run($"kill -TERM {resh.Id}");
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await resh.WaitForExitAsync(bounded.Token);
            Assert.Equal("trapped\n", File.ReadAllText(marker));
            Assert.NotEqual(0, resh.ExitCode);
        }
        finally
        {
            if (!resh.HasExited) resh.Kill(entireProcessTree: true);
        }
        Assert.False(Status("term")["held"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Killing_resh_during_a_run_keeps_the_lock_while_the_command_lives_and_frees_it_after()
    {
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "lock:///long.run", "--", "sleep", "120" }) psi.ArgumentList.Add(a);
        psi.Environment["RESH_HOME"] = _home;
        using var resh = Process.Start(psi)!;
        int child = 0;
        try
        {
            for (var i = 0; i < 200 && child == 0; i++)
            {
                var holder = Status("long")["holder"];
                if (holder?["child_pid"] is { } c) child = c.GetValue<int>();
                else await Task.Delay(50);
            }
            Assert.NotEqual(0, child);
            resh.Kill(); // SIGKILL: no cleanup runs
            await resh.WaitForExitAsync();
            Assert.True(Status("long")["held"]!.GetValue<bool>()); // the command still runs under the lock
        }
        finally
        {
            if (child != 0) Shell.Run($"kill -9 {child}");
            if (!resh.HasExited) resh.Kill();
        }
        for (var i = 0; i < 100 && Status("long")["held"]!.GetValue<bool>(); i++) await Task.Delay(50);
        Assert.False(Status("long")["held"]!.GetValue<bool>());
        Assert.Equal(0, Resh("lock:///long.acquire").ExitCode);
    }

    [Fact]
    public void Names_cannot_leave_the_lock_directory_and_another_user_cannot_touch_these_locks()
    {
        foreach (var bad in new[] { "lock:///../x.status", "lock:///a/b.acquire", "lock:///.hidden.acquire", "lock:///.status", "lock:///-x.acquire" })
        {
            var run = Resh(bad, "--format", "json");
            Assert.True(run.ExitCode == 2, bad + ": " + run.Stdout + run.Stderr);
            Assert.NotNull(Json(run)["error"]!["hint"]);
        }
        Assert.False(Directory.Exists(Path.Combine(_home, "x.lease")));
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.lease", SearchOption.AllDirectories));

        Assert.Equal(0, Resh("lock:///mine.acquire", "ttl=1h").ExitCode);
        var lease = Path.Combine(_home, "locks", "named", "mine.lease");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(lease));
        // nobody, pointed at this state dir, can neither read nor break the lock.
        var foreign = Shell.Run($"setpriv --reuid=65534 --regid=65534 --clear-groups env RESH_HOME={Shell.Q(_home)} {Shell.Q(ReshBinary.Path)} lock:///mine.release force=true --format json");
        Assert.Equal(4, foreign.ExitCode);
        Assert.True(File.Exists(lease));

        // A lease file that is not resh's (torn, or written by hand) is no lease.
        File.WriteAllText(Path.Combine(_home, "locks", "named", "junk.lease"), "{\"token\":");
        Assert.False(Status("junk")["held"]!.GetValue<bool>());
        var list = Json(Resh("lock://.list", "--format", "json"))["result"]!["locks"]!.AsArray();
        Assert.Contains(list, l => l!["name"]!.GetValue<string>() == "junk");
    }

    [Fact]
    public void An_acquire_inside_a_command_substitution_belongs_to_the_script_not_to_the_subshell()
    {
        // Review s30: TOKEN=$(resh lock:///x.acquire) tied the lock to the subshell, which ends at once.
        var resh = Shell.Q(ReshBinary.Path);
        var script = $"T=$({resh} lock:///sub.acquire --format raw); {resh} lock:///sub.status --format json; echo \"pid=$$\"";
        var run = Shell.Run($"RESH_HOME={Shell.Q(_home)} setsid -w /bin/sh -c {Shell.Q(script)}");
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var status = JsonNode.Parse(lines[0])!["result"]!;
        Assert.True(status["held"]!.GetValue<bool>());
        Assert.Equal(int.Parse(lines[1]["pid=".Length..]), status["holder"]!["pid"]!.GetValue<int>());
        // The script has ended: so has its lock.
        Assert.False(Status("sub")["held"]!.GetValue<bool>());
    }

    [Fact]
    public void A_run_ends_with_its_command_even_when_a_background_child_keeps_the_output_open()
    {
        // Review s30: `sh -c 'sleep 12 & echo x'` held the call (and the lock) until the sleep ended.
        var marker = "37.25" + Random.Shared.Next(100, 999);
        try
        {
            var run = Resh("lock:///bg.run", "--format", "json", "--", "/bin/sh", "-c", $"sleep {marker} & echo x");
            Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
            var env = Json(run);
            Assert.Equal("x\n", env["result"]!["stdout"]!.GetValue<string>());
            Assert.Contains(env["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("background"));
            Assert.False(Status("bg")["held"]!.GetValue<bool>());
        }
        finally
        {
            // The sleep this test started through the command.
            foreach (var dir in Directory.GetDirectories("/proc"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim() == $"sleep {marker}")
                        Shell.Run($"kill -9 {Path.GetFileName(dir)}");
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
    }
}
