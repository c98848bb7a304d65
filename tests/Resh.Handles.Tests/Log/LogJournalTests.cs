using System.Net.Sockets;
using System.Text;
using Resh.Handles.Tests.Svc;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Log;

/// <summary>
/// Issue 16, log://journal against a real systemd-journald (no systemd as PID 1: tests/setup/journald.sh runs it in a
/// private mount namespace). Entries are sent to its native socket, by the test and by resh's own write, and read back
/// through journalctl -o json on the journal files it wrote.
/// </summary>
public sealed class LogJournalTests : IDisposable
{
    readonly TempDir _dir = new("logjournal");

    public LogJournalTests()
    {
        Namespaced.RequireRoot();
        try { Namespaced.Setup("journald.sh", "start", _dir.Path); }
        catch
        {
            _dir.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try { Namespaced.Setup("journald.sh", "stop", _dir.Path); }
        catch (Exception) { /* best effort */ }
        _dir.Dispose();
    }

    string Socket => Path.Combine(_dir.Path, "run", "socket");
    string Journal => $"directory={Path.Combine(_dir.Path, "runlog", "journal")}";

    static ReshRun Ok(params string[] args)
    {
        var run = ReshBinary.Run([.. args, "--format", "json"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    /// <summary>One entry in the journal's native protocol, as a program of the unit would log it.</summary>
    void Send(string message, int priority, string identifier, string? unit = null)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        var text = $"MESSAGE={message}\nPRIORITY={priority}\nSYSLOG_IDENTIFIER={identifier}\n" + (unit is null ? "" : $"OBJECT_SYSTEMD_UNIT={unit}\n");
        s.SendTo(Encoding.UTF8.GetBytes(text), new UnixDomainSocketEndPoint(Socket));
    }

    void WaitFor(string identifier, int count)
    {
        for (int i = 0; i < 100; i++)
        {
            var r = ReshBinary.Run(["log://journal.search", $"identifier={identifier}", "level=debug", Journal, "count_only=true", "--format", "json"]);
            if (r.ExitCode == 0 && r.Result!["count"]!.GetValue<long>() >= count) return;
            Thread.Sleep(50);
        }
        throw new Xunit.Sdk.XunitException($"journald did not store {count} entries of {identifier}");
    }

    [Fact]
    public void Read_search_parse_and_stats_of_a_unit_read_the_real_journal()
    {
        for (int i = 1; i <= 5; i++) Send($"cron job {i} ran", 6, "CRON", "cron.service");
        Send("cron job 6 failed: exit 2", 3, "CRON", "cron.service");
        Send("not cron", 6, "other", "other.service");
        WaitFor("CRON", 6);
        WaitFor("other", 1);

        var read = Ok("log://journal/cron.service.read", "lines=2", Journal);
        Assert.Empty(read.Envelope["warnings"]!.AsArray());
        var last = read.Result!;
        Assert.Equal(["cron job 5 ran", "cron job 6 failed: exit 2"], last["lines"]!.AsArray().Select(l => l!["text"]!.GetValue<string>().Split(": ", 2)[1]));
        Assert.Equal("err", last["lines"]![1]!["level"]!.GetValue<string>());

        var failed = Ok("log://journal/cron.service.search", "pattern=failed", Journal).Result!;
        Assert.Equal(1, failed["count"]!.GetValue<long>());
        Assert.Equal(1, Ok("log://journal/cron.service.search", "level=err", Journal).Result!["count"]!.GetValue<long>());
        Assert.Equal(0, Ok("log://journal/cron.service.search", "pattern=not cron", Journal).Result!["count"]!.GetValue<long>());
        Assert.Equal(6, Ok("log://journal/cron.service.search", "pattern=cron", "since=10m", Journal).Result!["count"]!.GetValue<long>());
        Assert.Equal(0, Ok("log://journal/cron.service.search", "pattern=cron", "until=1h", Journal).Result!["count"]!.GetValue<long>());

        var record = Ok("log://journal/cron.service.parse", "level=err", Journal).Result!["records"]![0]!;
        Assert.Equal(("journal", "CRON", "cron job 6 failed: exit 2"), (record["format"]!.GetValue<string>(), record["app"]!.GetValue<string>(), record["message"]!.GetValue<string>()));
        Assert.Equal("cron.service", record["fields"]!["OBJECT_SYSTEMD_UNIT"]!.GetValue<string>());

        var stats = Ok("log://journal.stats", "by=app", Journal).Result!;
        Assert.Equal(6, stats["totals"]!["CRON"]!.GetValue<long>());
        Assert.Equal(1, stats["totals"]!["other"]!.GetValue<long>());
    }

    [Fact]
    public void Write_to_the_journal_and_syslog_sockets_arrives_with_level_and_identifier()
    {
        Ok("log://journal.write", "message=line one\nline two", "level=warning", "app=resh-test", $"socket={Socket}");
        Ok("log://syslog.write", "message=through dev-log", "level=err", "app=resh-syslog", $"socket={Path.Combine(_dir.Path, "run", "dev-log")}");
        WaitFor("resh-test", 1);
        WaitFor("resh-syslog", 1);
        var native = Ok("log://journal.parse", "identifier=resh-test", Journal).Result!["records"]![0]!;
        Assert.Equal(("warning", "line one\nline two"), (native["level"]!.GetValue<string>(), native["message"]!.GetValue<string>()));
        var syslog = Ok("log://journal.parse", "identifier=resh-syslog", Journal).Result!["records"]![0]!;
        Assert.Equal(("err", "through dev-log"), (syslog["level"]!.GetValue<string>(), syslog["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Follow_streams_new_entries_of_a_unit()
    {
        Send("before follow", 6, "web", "web.service");
        WaitFor("web", 1);
        var follow = Task.Run(() => ReshBinary.Run(["log://journal/web.service.follow", "count=2", Journal, "--timeout", "20s", "--format", "ndjson"], wait: TimeSpan.FromSeconds(30)));
        // Entries sent before journalctl -f runs would not be new to it: wait until it does.
        for (int i = 0; i < 200 && !JournalctlFollowing(); i++) await Task.Delay(50);
        await Task.Delay(300);
        Send("other unit", 6, "x", "x.service");
        Send("new one", 6, "web", "web.service");
        Send("new two", 4, "web", "web.service");
        var run = await follow;
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["new one", "new two"], run.Events.Select(e => e["text"]!.GetValue<string>().Split(": ", 2)[1]));
        Assert.Equal("count", run.Result!["ended"]!.GetValue<string>());
    }

    bool JournalctlFollowing() =>
        Directory.EnumerateDirectories("/proc").Any(d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")).Contains(_dir.Path + "/runlog/journal\0-u\0web.service", StringComparison.Ordinal); }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        });

    [Fact]
    public void A_directory_without_journal_files_answers_no_entries_with_a_warning()
    {
        // journalctl --quiet prints nothing and exits 0 when it finds no journal file at all, the same as for a unit
        // with no entries: a host that keeps no journal must not look like a quiet unit.
        Directory.CreateDirectory(_dir["empty"]);
        var run = Ok("log://journal/cron.service.read", "lines=50", $"directory={_dir["empty"]}");
        Assert.Equal(0, run.Result!["count"]!.GetValue<long>());
        Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains($"No journal files were found in {_dir["empty"]}"));
        var search = Ok("log://journal.search", "pattern=x", $"directory={_dir["empty"]}");
        Assert.Contains(search.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("No journal files were found"));
    }

    [Fact]
    public void A_missing_journal_directory_is_not_found()
    {
        var run = ReshBinary.Run(["log://journal.read", $"directory={_dir["nope"]}", "--format", "json"]);
        Assert.Equal("not_found", run.ErrorCode);
    }
}
