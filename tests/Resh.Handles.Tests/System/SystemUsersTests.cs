using System.Globalization;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

public sealed class SystemUsersTests
{
    // A PID above any pid_max (at most 2^22 on Linux), so the process certainly does not exist.
    const int DeadPid = 2_000_000_000;

    /// <summary>A binary utmp made by the real tool (utmpdump -r) from a text dump.</summary>
    static string MakeUtmp(TempDir dir, params (int Type, int Pid, string Id, string User, string Line, string Host, string Time)[] records)
    {
        var text = string.Concat(records.Select(r =>
            $"[{r.Type}] [{r.Pid:00000}] [{r.Id,-4}] [{r.User,-8}] [{r.Line,-12}] [{r.Host,-20}] [{(r.Host.Length > 0 ? r.Host : "0.0.0.0"),-15}] [{r.Time}]\n"));
        var path = dir["utmp"];
        var run = Tools.Run("sh", ["-c", "utmpdump -r > \"$1\"", "sh", path], stdin: text);
        Assert.Equal(0, run.Exit);
        Assert.Equal(records.Length * 384, new FileInfo(path).Length);
        return path;
    }

    static readonly string Alive = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void Sessions_of_a_named_utmp_file_match_who_FILE()
    {
        using var dir = new TempDir("users");
        var file = MakeUtmp(dir,
            (2, 0, "~~", "reboot", "~", "6.1.0", "2026-11-26T08:00:00,000000+00:00"),
            (7, Environment.ProcessId, "ts/0", "alice", "pts/0", "192.0.2.10", "2026-11-26T10:00:00,000000+00:00"),
            (7, DeadPid, "tty1", "bob", "tty1", "", "2026-11-26T10:05:00,000000+00:00"),
            (8, 0, "ts/1", "", "pts/1", "", "2026-11-26T10:06:00,000000+00:00"));
        var run = ReshBinary.Run("system://.users", "file=" + file);
        Assert.True(run.Ok, run.ToString());
        // who FILE in the C locale: "alice    pts/0        Nov 26 10:00 (192.0.2.10)"; with a file it does not check PIDs, nor does resh.
        var who = Tools.Run("who", [file], env: new Dictionary<string, string> { ["TZ"] = "UTC" }).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => $"{f[0]} {f[1]} {f[2]} {f[3]} {f[4]} {(f.Length > 5 ? f[5].Trim('(', ')') : "-")}").ToList();
        var ours = run.Result!["sessions"]!.AsArray()
            .Select(s => $"{s!["user"]} {s["tty"]} " +
                         DateTimeOffset.Parse(s["login_time"]!.GetValue<string>(), CultureInfo.InvariantCulture).UtcDateTime.ToString("MMM d HH:mm", CultureInfo.InvariantCulture) +
                         $" {s["host"]?.GetValue<string>() ?? "-"}").ToList();
        Assert.Equal(who, ours);
        Assert.Equal(file, run.Result!["file"]!.GetValue<string>());
        Assert.Equal(["alice", "bob"], run.Result!["users"]!.AsArray().Select(u => u!.GetValue<string>()));
        var alice = run.Result!["sessions"]![0]!;
        Assert.Equal(Environment.ProcessId, alice["pid"]!.GetValue<int>());
        Assert.True(alice["process_alive"]!.GetValue<bool>());
        Assert.Equal("192.0.2.10", alice["address"]!.GetValue<string>());
        Assert.False(run.Result!["sessions"]![1]!["process_alive"]!.GetValue<bool>());
    }

    [Fact]
    public void The_system_utmp_lists_only_sessions_whose_process_lives_as_who_does()
    {
        using var dir = new TempDir("users");
        var file = MakeUtmp(dir,
            (7, Environment.ProcessId, "ts/0", "alice", "pts/0", "192.0.2.10", "2026-11-26T10:00:00,000000+00:00"),
            (7, DeadPid, "ts/1", "mallory", "pts/1", "198.51.100.7", "2026-11-26T10:01:00,000000+00:00"));
        // A private /run holding the test's utmp as /run/utmp; who (no argument) reads the same file.
        var run = Tools.ReshInScript("mount -t tmpfs resh-run /run; cp \"$2\" /run/utmp; who >&2; exec \"$1\" system://.users", file);
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("/run/utmp", run.Result!["file"]!.GetValue<string>());
        var session = Assert.Single(run.Result!["sessions"]!.AsArray())!;
        Assert.Equal("alice", session["user"]!.GetValue<string>());
        Assert.Equal("pts/0", session["tty"]!.GetValue<string>());
        Assert.Equal("192.0.2.10", session["host"]!.GetValue<string>());
        Assert.Equal("2026-11-26T10:00:00Z", session["login_time"]!.GetValue<string>());
        var whoUsers = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToList();
        Assert.Equal(["alice"], whoUsers);
    }

    [Fact]
    public void Without_a_utmp_file_the_list_is_empty_with_a_warning()
    {
        var run = Tools.ReshInScript("mount -t tmpfs resh-run /run; exec \"$1\" system://.users");
        Assert.True(run.Ok, run.ToString());
        Assert.Empty(run.Result!["sessions"]!.AsArray());
        Assert.Null(run.Result!["file"]);
        Assert.NotEmpty(run.Envelope["warnings"]!.AsArray());
    }

    [Fact]
    public void A_missing_utmp_file_is_not_found()
    {
        var run = ReshBinary.Run("system://.users", "file=/no/such/utmp");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("not_found", run.ErrorCode);
    }

    [Fact]
    public void A_file_that_is_not_utmp_is_a_failure_not_garbage()
    {
        using var dir = new TempDir("users");
        var run = ReshBinary.Run("system://.users", "file=" + dir.File("notutmp", "hello\n"));
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("failed", run.ErrorCode);
    }
}
