using System.Diagnostics;
using System.IO.Compression;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Log;

/// <summary>Issue 16, log:// follow, write and rotate on real files: rotation by rename and by copytruncate while following, symlinks refused.</summary>
public sealed class LogWriteRotateTests : IDisposable
{
    readonly TempDir _dir = new("logw");

    public void Dispose() => _dir.Dispose();

    static ReshRun Resh(params string[] args) => ReshBinary.Run(args, env: new Dictionary<string, string> { ["TZ"] = "UTC" });

    static ReshRun Ok(params string[] args)
    {
        var run = Resh([.. args, "--format", "json"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    [Fact]
    public async Task Follow_streams_new_lines_through_rename_rotation_and_copytruncate()
    {
        var log = _dir.File("app.log", "before\n");
        // A wide window: on a loaded machine the two rotate calls below can take seconds each.
        var follow = Task.Run(() => ReshBinary.Run([$"log://{log}.follow", "--timeout", "15s", "--format", "ndjson"], wait: TimeSpan.FromSeconds(60)));
        await Task.Delay(1500);
        File.AppendAllText(log, "one\n");
        await Task.Delay(400);
        // Rotation by rename, as resh's own rotate does it.
        Ok($"log://{log}.rotate", "compress=none");
        File.AppendAllText(log, "two\n");
        await Task.Delay(400);
        File.AppendAllText(log, "three\n");
        await Task.Delay(400);
        Ok($"log://{log}.rotate", "mode=copytruncate", "compress=none");
        await Task.Delay(400);
        File.AppendAllText(log, "four\n");
        var run = await follow;
        Assert.True(run.ExitCode == 0, run.ToString());
        var events = run.Events;
        Assert.Equal(["one", "two", "three", "four"], events.Where(e => e["event"]!.GetValue<string>() == "line").Select(e => e["text"]!.GetValue<string>()));
        Assert.Contains(events, e => e["event"]!.GetValue<string>() == "rotated");
        Assert.Contains(events, e => e["event"]!.GetValue<string>() == "truncated");
        var result = run.Result!;
        Assert.Equal(("timeout", 4L, 1L, 1L), (result["ended"]!.GetValue<string>(), result["count"]!.GetValue<long>(), result["rotations"]!.GetValue<long>(), result["truncations"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Follow_on_a_glob_streams_every_matching_file_picks_up_new_ones_and_skips_rotated_copies()
    {
        var dir = _dir["nginx"];
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "access.log"), "a-old-1\na-old-2\n");
        File.WriteAllText(Path.Combine(dir, "error.log"), "e-old\n");
        File.WriteAllText(Path.Combine(dir, "access.log.1"), "rotated copy\n");
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not a log\n");
        // Planted by whoever may write the directory: a FIFO (reading it would block) and a link to an endless device.
        Assert.Equal(0, Shell.Run($"mkfifo {Shell.Q(Path.Combine(dir, "fifo.log"))}").ExitCode);
        File.CreateSymbolicLink(Path.Combine(dir, "zero.log"), "/dev/zero");
        // And a link to a file elsewhere the planter may not read: a glob's files are regular files, never links.
        File.WriteAllText(_dir["private.txt"], "SHADOWSECRET\n");
        File.CreateSymbolicLink(Path.Combine(dir, "shadow.log"), _dir["private.txt"]);
        var follow = Task.Run(() => ReshBinary.Run([$"log://{dir}/*.log.follow", "lines=1", "--timeout", "7s", "--format", "ndjson"], wait: TimeSpan.FromSeconds(30)));
        await Task.Delay(2000);
        File.AppendAllText(Path.Combine(dir, "access.log"), "a-new\n");
        File.AppendAllText(Path.Combine(dir, "error.log"), "e-new\n");
        File.AppendAllText(Path.Combine(dir, "access.log.1"), "never\n");
        File.AppendAllText(Path.Combine(dir, "notes.txt"), "never\n");
        await Task.Delay(500);
        File.WriteAllText(Path.Combine(dir, "late.log"), "late-1\n"); // appears after the start: read from its start
        await Task.Delay(2000);
        File.AppendAllText(Path.Combine(dir, "late.log"), "late-2\n");
        var run = await follow;
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Events.Where(e => e["event"]!.GetValue<string>() == "line")
            .Select(e => (Path.GetFileName(e["file"]!.GetValue<string>()), e["text"]!.GetValue<string>())).ToList();
        Assert.Equal([("access.log", "a-old-2"), ("access.log", "a-new")], lines.Where(l => l.Item1 == "access.log"));
        Assert.Equal([("error.log", "e-old"), ("error.log", "e-new")], lines.Where(l => l.Item1 == "error.log"));
        Assert.Equal([("late.log", "late-1"), ("late.log", "late-2")], lines.Where(l => l.Item1 == "late.log"));
        Assert.DoesNotContain(lines, l => l.Item2 == "never" || l.Item2 == "rotated copy" || l.Item2.Contains("SHADOWSECRET"));
        Assert.Equal(6, run.Result!["count"]!.GetValue<long>());
        var warnings = run.Envelope["warnings"]!.AsArray().Select(w => w!.ToJsonString()).ToList();
        Assert.Contains(warnings, w => w.Contains("fifo.log") && w.Contains("not followed"));
        Assert.Contains(warnings, w => w.Contains("zero.log") && w.Contains("not followed"));
        Assert.Contains(warnings, w => w.Contains("shadow.log") && w.Contains("not followed"));
        Assert.Single(warnings, w => w.Contains("zero.log")); // once, not at every rescan
        Assert.Equal("usage", Resh($"log://{_dir.Path}/*/x.log.follow", "--timeout", "1s", "--format", "json").ErrorCode);
    }

    [Fact]
    public async Task Follow_reads_a_file_truncated_and_rewritten_longer_between_two_polls_from_its_start()
    {
        // s31 user D1: a truncation followed by a longer rewrite before the next poll was read from the old position,
        // the middle of the new content. The bytes before the position are now checked, as file.tail does.
        var log = _dir.File("app.log", "old line\n");
        var follow = Task.Run(() => ReshBinary.Run([$"log://{log}.follow", "--timeout", "4s", "--format", "ndjson"], wait: TimeSpan.FromSeconds(30)));
        await Task.Delay(1500);
        File.WriteAllText(log, "replaced first\nreplaced second\n");
        var run = await follow;
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["replaced first", "replaced second"], run.Events.Where(e => e["event"]!.GetValue<string>() == "line").Select(e => e["text"]!.GetValue<string>()));
        Assert.Contains(run.Events, e => e["event"]!.GetValue<string>() == "truncated");
    }

    [Fact]
    public async Task Follow_stops_after_count_matching_lines()
    {
        var log = _dir.File("app.log", "");
        var follow = Task.Run(() => ReshBinary.Run([$"log://{log}.follow", "pattern=ERROR", "count=2", "--timeout", "20s", "--format", "ndjson"], wait: TimeSpan.FromSeconds(30)));
        await Task.Delay(1500);
        var clock = Stopwatch.StartNew();
        File.AppendAllText(log, "INFO a\nERROR b\nINFO c\nERROR d\nERROR e\n");
        var run = await follow;
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Equal(["ERROR b", "ERROR d"], run.Events.Select(e => e["text"]!.GetValue<string>()));
        Assert.Equal("count", run.Result!["ended"]!.GetValue<string>());
    }

    [Fact]
    public void Write_appends_one_line_per_call_and_escapes_line_breaks_and_control_characters()
    {
        var log = _dir["out.log"];
        Ok($"log://{log}.write", "message=first\nFAKE 2026 root: forged", "app=deploy");
        Ok($"log://{log}.write", "message=second \u001b[2J", "format_out=json", "level=err");
        Ok($"log://{log}.write", "message=third", "format_out=logfmt", "level=warning", "app=x");
        var lines = File.ReadAllLines(log);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 \S+ deploy\[\d+\]: first\\nFAKE 2026 root: forged$", lines[0]);
        var json = JsonNode.Parse(lines[1])!;
        Assert.Equal(("err", "second \u001b[2J"), (json["level"]!.GetValue<string>(), json["msg"]!.GetValue<string>()));
        Assert.Contains("level=warning app=x", lines[2]);
        Assert.Equal("640", Convert.ToString((int)File.GetUnixFileMode(log) & 0x1FF, 8));

        // What was written parses back.
        var records = Ok($"log://{log}.parse").Result!["records"]!.AsArray();
        Assert.Equal(["deploy", "resh", "x"], records.Select(r => r!["app"]!.GetValue<string>()));
        Assert.Equal(["rfc3164", "json", "logfmt"], records.Select(r => r!["format"]!.GetValue<string>()));
    }

    [Fact]
    public void Write_refuses_a_symlinked_log_path_and_leaves_its_target_alone()
    {
        var victim = _dir.File("victim", "precious\n");
        var link = _dir["app.log"];
        File.CreateSymbolicLink(link, victim);
        var run = Resh($"log://{link}.write", "message=x", "--format", "json");
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("symbolic link", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.Equal("not_found", Resh($"log://{_dir["no/such/dir.log"]}.write", "message=x", "--format", "json").ErrorCode);
        Assert.Equal("usage", Resh($"log://{_dir["a.log"]}.write", "message=x", "app=bad name", "--format", "json").ErrorCode);
    }

    [Fact]
    public void Write_follows_no_directory_link_and_refuses_proc_and_sys()
    {
        // s31 user review D6: a planted directory link sent a write to /etc, and /proc files were accepted.
        var target = Directory.CreateDirectory(_dir["real"]).FullName;
        var linkDir = _dir["linked"];
        File.CreateSymbolicLink(linkDir, target);
        foreach (var dry in new[] { false, true })
        {
            string[] args = [$"log://{linkDir}/app.log.write", "message=x", "--format", "json", .. dry ? new[] { "--dry-run" } : []];
            var run = Resh(args);
            Assert.Equal("usage", run.ErrorCode);
            Assert.Contains("symbolic link", run.Envelope["error"]!["message"]!.GetValue<string>());
        }
        Assert.Empty(Directory.GetFileSystemEntries(target));
        foreach (var kernel in new[] { "/proc/self/comm", "/sys/kernel/profiling" })
        {
            var run = Resh($"log://{kernel}.write", "message=x", "format_out=raw", "--format", "json");
            Assert.Equal("usage", run.ErrorCode);
        }
    }

    [Fact]
    public void Write_to_syslog_sends_an_rfc3164_datagram_to_the_socket()
    {
        var path = _dir["dev-log"];
        using var server = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(path));
        var run = Ok("log://syslog.write", "message=backup failed", "level=err", "app=backup", "facility=daemon", $"socket={path}");
        var buffer = new byte[4096];
        server.ReceiveTimeout = 5000;
        var n = server.Receive(buffer);
        var datagram = Encoding.UTF8.GetString(buffer, 0, n);
        // daemon (3) * 8 + err (3) = 27
        Assert.Matches(@"^<27>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d backup\[\d+\]: backup failed$", datagram);
        Assert.Equal(datagram, run.Result!["line"]!.GetValue<string>());
        Assert.Equal("unavailable", Resh("log://syslog.write", "message=x", $"socket={_dir["nobody"]}", "--format", "json").ErrorCode);
    }

    [Fact]
    public void Rotate_shifts_compresses_and_keeps_n_copies()
    {
        var log = _dir.File("app.log", "gen1\n");
        for (int gen = 2; gen <= 5; gen++)
        {
            var r = Ok($"log://{log}.rotate", "keep=3").Result!;
            Assert.True(r["rotated"]!.GetValue<bool>());
            Assert.Equal(log + ".1.gz", r["rotated_to"]!.GetValue<string>());
            File.WriteAllText(log, $"gen{gen}\n");
        }
        Assert.Equal(["app.log", "app.log.1.gz", "app.log.2.gz", "app.log.3.gz"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(("gen4\n", "gen3\n", "gen2\n"), (Gunzip(log + ".1.gz"), Gunzip(log + ".2.gz"), Gunzip(log + ".3.gz")));
        Assert.Equal("gen5\n", File.ReadAllText(log));
        // The rotated copies are searchable in order.
        var all = Ok($"log://{log}.search", "pattern=gen", "rotated=true").Result!["matches"]!.AsArray();
        Assert.Equal(["gen2", "gen3", "gen4", "gen5"], all.Select(m => m!["text"]!.GetValue<string>()));
    }

    [Fact]
    public void Rotate_with_zstd_writes_copies_zstd_reads_and_log_reads_them_among_gzip_ones()
    {
        var log = _dir.File("z.log", "gen1\n");
        Ok($"log://{log}.rotate", "keep=4"); // gen1 → z.log.1.gz
        File.WriteAllText(log, "gen2\n");
        for (int gen = 3; gen <= 4; gen++)
        {
            var r = Ok($"log://{log}.rotate", "keep=4", "compress=zstd").Result!;
            Assert.Equal(log + ".1.zst", r["rotated_to"]!.GetValue<string>());
            File.WriteAllText(log, $"gen{gen}\n");
        }
        Assert.Equal(["z.log", "z.log.1.zst", "z.log.2.zst", "z.log.3.gz"], Directory.GetFiles(_dir.Path, "z.log*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // The reference tool reads what resh wrote.
        var dc = Shell.Run($"zstd -dc {Shell.Q(log + ".2.zst")}");
        Assert.True(dc.ExitCode == 0, dc.Stderr);
        Assert.Equal("gen2\n", dc.Stdout);
        Assert.Equal("gen1\n", Gunzip(log + ".3.gz"));
        var all = Ok($"log://{log}.search", "pattern=gen", "rotated=true").Result!["matches"]!.AsArray();
        Assert.Equal(["gen1", "gen2", "gen3", "gen4"], all.Select(m => m!["text"]!.GetValue<string>()));
        // A copy the zstd tool wrote is read too; a damaged one is skipped and named (partial), a zstd bomb stops at max_unzipped.
        File.WriteAllText(_dir["w.log"], "live\n");
        File.WriteAllText(_dir["w.log.1.src"], "from zstd\n");
        Assert.Equal(0, Shell.Run($"zstd -q -o {Shell.Q(_dir["w.log.1.zst"])} {Shell.Q(_dir["w.log.1.src"])}").ExitCode);
        File.Delete(_dir["w.log.1.src"]);
        Assert.Equal(["from zstd", "live"], Ok($"log://{_dir["w.log"]}.read", "rotated=true").Result!["lines"]!.AsArray().Select(l => l!["text"]!.GetValue<string>()));
        File.WriteAllBytes(_dir["w.log.2.zst"], [0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0xde, 0xad, 0xbe, 0xef]);
        using (var f = File.Create(_dir["w.log.3.zst"]))
        using (var z = new ZstdSharp.CompressionStream(f, 1))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) z.Write(zeros);
        }
        var damaged = Resh($"log://{_dir["w.log"]}.search", "pattern=live", "rotated=true", "max_unzipped=16MiB", "--format", "json");
        Assert.Equal("partial", damaged.ErrorCode);
        var skipped = damaged.Envelope["error"]!["details"]!["skipped"]!.AsArray().Select(s => s!.ToJsonString()).ToList();
        Assert.Equal(2, skipped.Count);
        Assert.Contains(skipped, s => s.Contains("w.log.2.zst") && s.Contains("zstd"));
        Assert.Contains(skipped, s => s.Contains("w.log.3.zst") && s.Contains("max_unzipped"));
    }

    [Fact]
    public void Rotate_by_size_and_age_only_when_due_and_keeps_mode_and_leaves_empty_files()
    {
        var log = _dir.File("app.log", new string('x', 1000) + "\n");
        File.SetUnixFileMode(log, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var notYet = Ok($"log://{log}.rotate", "size=10KiB").Result!;
        Assert.False(notYet["rotated"]!.GetValue<bool>());
        Assert.False(File.Exists(log + ".1.gz"));
        var dry = Resh($"log://{log}.rotate", "size=100", "--dry-run", "--format", "json");
        Assert.True(dry.Result!["rotated"]!.GetValue<bool>());
        Assert.False(File.Exists(log + ".1.gz"));
        Assert.Equal("size", Ok($"log://{log}.rotate", "size=100").Result!["reason"]!.GetValue<string>());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(log));
        Assert.Equal(0, new FileInfo(log).Length);
        Assert.Equal("empty", Ok($"log://{log}.rotate").Result!["reason"]!.GetValue<string>());
        File.WriteAllText(log, "more\n");
        Assert.False(Ok($"log://{log}.rotate", "age=1h").Result!["rotated"]!.GetValue<bool>());
        File.SetLastWriteTimeUtc(log + ".1.gz", DateTime.UtcNow.AddHours(-2));
        Assert.Equal("age", Ok($"log://{log}.rotate", "age=1h").Result!["reason"]!.GetValue<string>());
    }

    [Fact]
    public void Rotate_with_copytruncate_keeps_the_writers_file_and_signals_with_rename()
    {
        var log = _dir.File("app.log", "old content\n");
        var go = _dir["go"];
        // A writer that holds its log open with O_APPEND (>>), as daemons do, and writes again after the rotation.
        using var writer = Process.Start("sh", ["-c", $"exec 3>>{Shell.Q(log)}; while [ ! -e {Shell.Q(go)} ]; do sleep 0.05; done; echo new >&3"]);
        var inode = Inode(log);
        Ok($"log://{log}.rotate", "mode=copytruncate", "compress=none");
        Assert.Equal(inode, Inode(log));
        Assert.Equal("old content\n", File.ReadAllText(log + ".1"));
        File.WriteAllText(go, "");
        Assert.True(writer.WaitForExit(10_000));
        Assert.Equal("new\n", File.ReadAllText(log));

        // rename + signal: a process that reopens on SIGHUP is told.
        var marker = _dir["hup"];
        var script = _dir.File("reopen.sh", $"trap 'touch {marker}' HUP\necho $$ > {_dir["pid"]}\nwhile :; do sleep 0.1; done\n");
        // env --default-signal: a shell started with SIGHUP ignored (a suite run under nohup) cannot trap it.
        using var child = Process.Start("env", ["--default-signal=HUP", "bash", script]);
        try
        {
            // The pid file exists before bash has written its number: wait for the number (seen in a full run).
            for (int i = 0; i < 100 && !(File.Exists(_dir["pid"]) && File.ReadAllText(_dir["pid"]).Trim().Length > 0); i++) Thread.Sleep(50);
            Ok($"log://{log}.rotate", "keep=2", $"pid_file={_dir["pid"]}");
            for (int i = 0; i < 100 && !File.Exists(marker); i++) Thread.Sleep(50);
            Assert.True(File.Exists(marker));
        }
        finally { child.Kill(); child.WaitForExit(); }
    }

    [Fact]
    public void Rotate_signals_only_a_process_of_the_pid_files_owner()
    {
        // s31 attacker #2: a pid file the service user writes named a root process, and root signalled it.
        if (global::Resh.Core.Platform.LibC.GetEUid() != 0) return; // the case needs root: as a user resh cannot signal others anyway
        var log = _dir.File("svc.log", "content\n");
        using var rootSleep = Process.Start("sleep", "120");
        try
        {
            var pidFile = _dir.File("svc.pid", rootSleep.Id + "\n");
            Assert.Equal(0, Shell.Run($"chown 65534:65534 {Shell.Q(pidFile)}").ExitCode);
            var run = Ok($"log://{log}.rotate", "force=true", $"pid_file={pidFile}");
            Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("was not signalled"));
            Assert.False(rootSleep.WaitForExit(300), "the root process was signalled");
        }
        finally { rootSleep.Kill(); rootSleep.WaitForExit(); }
    }

    [Fact]
    public void Rotate_refuses_symlinks_as_the_log_or_among_its_copies()
    {
        var victim = _dir.File("victim", "precious\n");
        var log = _dir.File("app.log", "content\n");
        File.CreateSymbolicLink(log + ".2.gz", victim);
        var run = Resh($"log://{log}.rotate", "keep=5", "--format", "json");
        Assert.Equal("usage", run.ErrorCode);
        Assert.False(string.IsNullOrEmpty(run.Envelope["error"]!["hint"]?.GetValue<string>()));
        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.Equal("content\n", File.ReadAllText(log));

        var link = _dir["link.log"];
        File.CreateSymbolicLink(link, victim);
        Assert.Equal("usage", Resh($"log://{link}.rotate", "--format", "json").ErrorCode);
        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.Equal("not_found", Resh($"log://{_dir["none.log"]}.rotate", "--format", "json").ErrorCode);

        // s31 review: a directory link on the way (logs -> a directory elsewhere) is refused too; nothing is renamed or created there.
        var elsewhere = Directory.CreateDirectory(_dir["elsewhere"]).FullName;
        File.WriteAllText(Path.Combine(elsewhere, "x.log"), "kept\n");
        Directory.CreateSymbolicLink(_dir["logs"], elsewhere);
        var via = Resh($"log://{_dir["logs"]}/x.log.rotate", "force=true", "--format", "json");
        Assert.Equal("usage", via.ErrorCode);
        Assert.Contains("symbolic link", via.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal(new[] { "x.log" }, Directory.GetFileSystemEntries(elsewhere).Select(p => Path.GetFileName(p)!).ToArray());
        Assert.Equal("kept\n", File.ReadAllText(Path.Combine(elsewhere, "x.log")));
    }

    static string Gunzip(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        return reader.ReadToEnd();
    }

    static string Inode(string path) => Shell.Run($"stat -c %i {Shell.Q(path)}").Stdout.Trim();
}
