using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Log;

/// <summary>
/// Issue 16, log:// on files written by the tests: read, search (plain and regex, level, time range, fields, rotated and
/// compressed copies), parse of each format, stats per bucket, and the hostile inputs of logs others write.
/// </summary>
public sealed class LogFileTests : IDisposable
{
    readonly TempDir _dir = new("log");

    public void Dispose() => _dir.Dispose();

    static ReshRun Resh(params string[] args) => ReshBinary.Run(args, env: new Dictionary<string, string> { ["TZ"] = "UTC" });

    static ReshRun Ok(params string[] args)
    {
        var run = Resh([.. args, "--format", "json"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    static JsonArray Arr(JsonNode? n) => n!.AsArray();

    const string Syslog =
        "2026-12-06T10:00:00.000000+00:00 web1 sshd[100]: Accepted publickey for deploy\n" +
        "2026-12-06T10:05:00.000000+00:00 web1 sshd[101]: error: Failed password for root\n" +
        "2026-12-06T10:10:00.000000+00:00 web1 CRON[102]: (root) CMD (backup)\n" +
        "2026-12-06T11:00:00.000000+00:00 web1 app[103]: ERROR database timeout\n" +
        "    at Db.Query()\n" +
        "2026-12-06T11:30:00.000000+00:00 web1 app[103]: WARN slow request\n";

    [Fact]
    public void Read_gives_the_last_lines_with_time_and_level_and_since_until_use_each_lines_time()
    {
        var log = _dir.File("syslog", Syslog);
        var last = Ok($"log://{log}.read", "lines=2").Result!;
        Assert.Equal(["    at Db.Query()", "2026-12-06T11:30:00.000000+00:00 web1 app[103]: WARN slow request"], Arr(last["lines"]).Select(l => l!["text"]!.GetValue<string>()));
        Assert.Equal("warning", last["lines"]![1]!["level"]!.GetValue<string>());
        Assert.Equal("2026-12-06T11:30:00Z", last["lines"]![1]!["ts"]!.GetValue<string>());

        // The stack-trace line has no time of its own: it takes its message's (11:00), so it is inside 10:30-11:15.
        var window = Ok($"log://{log}.read", "since=2026-12-06T10:30:00Z", "until=2026-12-06T11:15:00Z").Result!;
        Assert.Equal(["2026-12-06T11:00:00.000000+00:00 web1 app[103]: ERROR database timeout", "    at Db.Query()"],
            Arr(window["lines"]).Select(l => l!["text"]!.GetValue<string>()));

        var raw = Resh($"log://{log}.read", "lines=1", "--format", "raw");
        Assert.Equal("2026-12-06T11:30:00.000000+00:00 web1 app[103]: WARN slow request\n", raw.Stdout);
    }

    [Fact]
    public void Search_matches_words_and_regexes_with_line_numbers_and_filters_by_level_time_and_fields()
    {
        var log = _dir.File("syslog", Syslog);
        var word = Ok($"log://{log}.search", "pattern=Failed").Result!;
        Assert.Equal(1, word["count"]!.GetValue<long>());
        Assert.Equal(2, word["matches"]![0]!["line"]!.GetValue<long>());
        Assert.Equal(6, word["scanned"]!.GetValue<long>());

        var regex = Ok($"log://{log}.search", "pattern=sshd\\[10[01]\\]").Result!;
        Assert.Equal(2, regex["count"]!.GetValue<long>());
        Assert.Equal(3, Ok($"log://{log}.search", "pattern=ERROR|WARN|error", "count_only=true").Result!["count"]!.GetValue<long>());
        Assert.Equal(2, Ok($"log://{log}.search", "pattern=error", "ignore_case=true").Result!["count"]!.GetValue<long>());

        // level=err keeps err and worse: the ERROR line and sshd's "error:" (a capital-less level word after the tag is not a level).
        var errors = Ok($"log://{log}.search", "level=err").Result!;
        Assert.Equal(["2026-12-06T11:00:00.000000+00:00 web1 app[103]: ERROR database timeout"], Arr(errors["matches"]).Select(m => m!["text"]!.GetValue<string>()));
        var fields = Ok($"log://{log}.search", "where=app=sshd", "where=pid=101").Result!;
        Assert.Equal(2, fields["matches"]![0]!["line"]!.GetValue<long>());
        Assert.Equal(1, fields["count"]!.GetValue<long>());
        Assert.Equal(2, Ok($"log://{log}.search", "pattern=web1", "since=2026-12-06T10:30:00Z").Result!["count"]!.GetValue<long>());

        var limited = Ok($"log://{log}.search", "pattern=web1", "limit=2").Result!;
        Assert.Equal(5, limited["count"]!.GetValue<long>());
        Assert.Equal(2, Arr(limited["matches"]).Count);
        Assert.True(limited["truncated"]!.GetValue<bool>());
        Assert.Equal("5\n", Resh($"log://{log}.search", "pattern=web1", "count_only=true", "--format", "raw").Stdout);
    }

    [Fact]
    public void Search_counts_exactly_what_grep_counts_across_block_boundaries()
    {
        // 300,000 lines (~11 MB, several 1 MiB blocks); every 7th has the word, some at the very start or end of a line.
        var sb = new StringBuilder();
        int expected = 0;
        for (int i = 0; i < 300_000; i++)
        {
            if (i % 7 == 0) { sb.Append(i % 2 == 0 ? "needle at start " : "at the end needle"); expected++; }
            else sb.Append("line ").Append(i).Append(" nothing here");
            sb.Append('\n');
        }
        var log = _dir.File("big.log", sb.ToString());
        var grep = Shell.Run($"grep -c needle {Shell.Q(log)}");
        Assert.Equal(expected.ToString(), grep.Stdout.Trim());
        var r = Ok($"log://{log}.search", "pattern=needle", "count_only=true").Result!;
        Assert.Equal(expected, r["count"]!.GetValue<long>());
        Assert.Equal(300_000, r["scanned"]!.GetValue<long>());
        // The regex path counts the same, and numbers lines right after many blocks.
        Assert.Equal(expected, Ok($"log://{log}.search", "pattern=needle$|^needle", "count_only=true").Result!["count"]!.GetValue<long>());
        var lastHit = Ok($"log://{log}.search", "pattern=needle", "limit=100000").Result!["matches"]!.AsArray().Last()!;
        Assert.Equal(299_999 / 7 * 7 + 1, lastHit["line"]!.GetValue<long>());
    }

    [Fact]
    public void Rotated_and_compressed_siblings_and_globs_are_read_oldest_first()
    {
        var dir = _dir["var"];
        Directory.CreateDirectory(dir);
        Gz(Path.Combine(dir, "app.log.3.gz"), "oldest hit\n");
        Gz(Path.Combine(dir, "app.log.2.gz"), "older hit\nno\n");
        File.WriteAllText(Path.Combine(dir, "app.log.1"), "recent hit\n");
        File.WriteAllText(Path.Combine(dir, "app.log"), "current hit\n");
        File.WriteAllText(Path.Combine(dir, "other.log"), "other hit\n");

        Assert.Equal(1, Ok($"log://{dir}/app.log.search", "pattern=hit").Result!["count"]!.GetValue<long>());
        var all = Ok($"log://{dir}/app.log.search", "pattern=hit", "rotated=true").Result!;
        Assert.Equal(["oldest hit", "older hit", "recent hit", "current hit"], Arr(all["matches"]).Select(m => m!["text"]!.GetValue<string>()));
        Assert.Equal(["app.log.3.gz", "app.log.2.gz", "app.log.1", "app.log"], Arr(all["files"]).Select(f => Path.GetFileName(f!.GetValue<string>())));

        var glob = Ok($"log://{dir}/*.log.search", "pattern=hit").Result!;
        Assert.Equal(["current hit", "other hit"], Arr(glob["matches"]).Select(m => m!["text"]!.GetValue<string>()));
        var read = Ok($"log://{dir}/app.log.read", "rotated=true", "lines=2").Result!;
        Assert.Equal(["recent hit", "current hit"], Arr(read["lines"]).Select(m => m!["text"]!.GetValue<string>()));
    }

    [Fact]
    public void Parse_turns_each_format_into_records()
    {
        var log = _dir.File("mixed.log",
            "<34>1 2026-12-06T10:00:00.123Z host1 su 1234 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Appl\\\"ication\"] 'su root' failed\n" +
            "<13>Dec  6 10:00:01 host2 cron[77]: job started\n" +
            "{\"time\":\"2026-12-06T10:00:02Z\",\"level\":\"warn\",\"msg\":\"disk 91%\",\"service\":\"api\",\"disk\":\"/dev/sda1\",\"pct\":91}\n" +
            "time=2026-12-06T10:00:03Z level=error msg=\"upstream \\\"b\\\" down\" app=proxy retries=3\n" +
            "203.0.113.9 - alice [06/Dec/2026:10:00:04 +0000] \"GET /api/v1?q=1 HTTP/1.1\" 502 157 \"https://ref.example/\" \"curl/8.0\"\n" +
            "just some text with [error] inside\n");
        var records = Arr(Ok($"log://{log}.parse").Result!["records"]);
        Assert.Equal(["rfc5424", "rfc3164", "json", "logfmt", "combined", "plain"], records.Select(r => r!["format"]!.GetValue<string>()));

        var r5424 = records[0]!;
        Assert.Equal("crit", r5424["level"]!.GetValue<string>());
        Assert.Equal("host1", r5424["host"]!.GetValue<string>());
        Assert.Equal("su", r5424["app"]!.GetValue<string>());
        Assert.Equal(1234, r5424["pid"]!.GetValue<int>());
        Assert.Equal("'su root' failed", r5424["message"]!.GetValue<string>());
        Assert.Equal("Appl\"ication", r5424["fields"]!["exampleSDID@32473.eventSource"]!.GetValue<string>());
        Assert.Equal("auth", r5424["fields"]!["facility"]!.GetValue<string>());
        Assert.Equal("2026-12-06T10:00:00.123Z", r5424["ts"]!.GetValue<string>());

        var r3164 = records[1]!;
        Assert.Equal(("notice", "host2", "cron", 77, "job started"),
            (r3164["level"]!.GetValue<string>(), r3164["host"]!.GetValue<string>(), r3164["app"]!.GetValue<string>(), r3164["pid"]!.GetValue<int>(), r3164["message"]!.GetValue<string>()));
        Assert.EndsWith("-12-06T10:00:01Z", r3164["ts"]!.GetValue<string>());

        var json = records[2]!;
        Assert.Equal(("warning", "api", "disk 91%", "91"), (json["level"]!.GetValue<string>(), json["app"]!.GetValue<string>(), json["message"]!.GetValue<string>(), json["fields"]!["pct"]!.GetValue<string>()));
        var logfmt = records[3]!;
        Assert.Equal(("err", "proxy", "upstream \"b\" down", "3"), (logfmt["level"]!.GetValue<string>(), logfmt["app"]!.GetValue<string>(), logfmt["message"]!.GetValue<string>(), logfmt["fields"]!["retries"]!.GetValue<string>()));
        var access = records[4]!;
        Assert.Equal("2026-12-06T10:00:04Z", access["ts"]!.GetValue<string>());
        Assert.Equal("err", access["level"]!.GetValue<string>());
        var f = access["fields"]!;
        Assert.Equal(("203.0.113.9", "alice", "GET", "/api/v1?q=1", "502", "157", "curl/8.0"),
            (f["remote_addr"]!.GetValue<string>(), f["user"]!.GetValue<string>(), f["method"]!.GetValue<string>(), f["path"]!.GetValue<string>(),
             f["status"]!.GetValue<string>(), f["bytes"]!.GetValue<string>(), f["user_agent"]!.GetValue<string>()));
        Assert.Equal("err", records[5]!["level"]!.GetValue<string>());

        // A forced format: lines that are not in it fall back to plain.
        var forced = Ok($"log://{log}.parse", "format_in=json").Result!;
        Assert.Equal(1, forced["formats"]!["json"]!.GetValue<long>());
        Assert.Equal(5, forced["formats"]!["plain"]!.GetValue<long>());
    }

    [Fact]
    public void Stats_count_by_level_and_by_field_per_bucket()
    {
        var sb = new StringBuilder();
        for (int m = 0; m < 6; m++)
            sb.Append($"10.0.0.1 - - [06/Dec/2026:10:{m * 10:00}:00 +0000] \"GET / HTTP/1.1\" {(m % 3 == 0 ? 500 : 200)} 10 \"-\" \"x\"\n");
        sb.Append("10.0.0.1 - - [06/Dec/2026:11:00:00 +0000] \"GET /x HTTP/1.1\" 404 10 \"-\" \"x\"\n");
        var log = _dir.File("access.log", sb.ToString());
        var byStatus = Ok($"log://{log}.stats", "by=status", "bucket=1h").Result!;
        Assert.Equal(7, byStatus["total"]!.GetValue<long>());
        Assert.Equal(4, byStatus["totals"]!["200"]!.GetValue<long>());
        Assert.Equal(2, byStatus["totals"]!["500"]!.GetValue<long>());
        var buckets = Arr(byStatus["buckets"]);
        Assert.Equal(["2026-12-06T10:00:00Z", "2026-12-06T11:00:00Z"], buckets.Select(b => b!["start"]!.GetValue<string>()));
        Assert.Equal(6, buckets[0]!["total"]!.GetValue<long>());
        Assert.Equal(1, buckets[1]!["counts"]!["404"]!.GetValue<long>());
        var byLevel = Ok($"log://{log}.stats").Result!;
        Assert.Equal(("level", 4L, 2L, 1L), (byLevel["by"]!.GetValue<string>(), byLevel["totals"]!["info"]!.GetValue<long>(), byLevel["totals"]!["err"]!.GetValue<long>(), byLevel["totals"]!["warning"]!.GetValue<long>()));
    }

    [Fact]
    public void Stdin_is_a_source()
    {
        var run = ReshBinary.Run(["log://-.search", "pattern=b", "--format", "json"], stdin: "a\nb1\nc\nb2\n");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, run.Result!["count"]!.GetValue<long>());
    }

    // ---- hostile input --------------------------------------------------------------------------------

    [Fact]
    public void Terminal_escapes_in_lines_never_reach_the_terminal_in_table_output()
    {
        var log = _dir.File("evil.log", "\u001b]0;pwned\u0007\u001b[2J\u009b31m gotcha\n");
        var table = Resh($"log://{log}.search", "pattern=gotcha", "--format", "table");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("\\x1b]0;pwned", table.Stdout);
        Assert.DoesNotContain(table.StdoutBytes, b => b == 0x1b || b == 0x07);
        Assert.DoesNotContain("\u009b", table.Stdout);
        // JSON keeps the bytes, escaped.
        Assert.Contains("\u001b]0;pwned", Ok($"log://{log}.read").Result!["lines"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public void A_huge_line_is_cut_to_max_line_and_read_in_bounded_memory()
    {
        // One 300 MB line (no newline for 300 MB), then normal lines: the line is cut, the rest still read.
        var log = _dir["huge.log"];
        using (var f = File.Create(log))
        {
            f.Write("2026-12-06T10:00:00Z start "u8);
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)'x');
            for (int i = 0; i < 300; i++) f.Write(chunk);
            f.Write(" needle-at-the-end\nafter needle-here\nlast\n"u8);
        }
        var time = Shell.Run($"/usr/bin/time -f 'maxrss=%M' {Shell.Q(ReshBinary.Path)} 'log://{log}.search' pattern=needle --format json");
        Assert.True(time.ExitCode == 0, time.ToString());
        var r = JsonNode.Parse(time.Stdout.Trim())!["result"]!;
        // Only the head of the long line is matched: the word at its end does not count.
        Assert.Equal(1, r["count"]!.GetValue<long>());
        Assert.Equal("after needle-here", r["matches"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(2, r["matches"]![0]!["line"]!.GetValue<long>());
        var rss = long.Parse(time.Stderr.Split("maxrss=")[1].Trim());
        Assert.True(rss < 150_000, $"peak RSS {rss} KiB for a 300 MB line");

        var read = Ok($"log://{log}.read", "lines=3").Result!;
        var first = read["lines"]![0]!;
        Assert.True(first["cut"]!.GetValue<bool>());
        Assert.Equal(64 * 1024, first["text"]!.GetValue<string>().Length);
        Assert.Equal(1, read["cut_lines"]!.GetValue<long>());
        var small = Ok($"log://{log}.parse", "max_line=1KiB", "limit=1").Result!["records"]![0]!;
        Assert.Equal("true", small["fields"]!["cut"]!.GetValue<string>());
        Assert.Equal(2, Resh($"log://{log}.search", "pattern=x", "max_line=1", "--format", "json").ExitCode);
    }

    [Fact]
    public void A_result_holds_at_most_32_Mi_characters_of_lines_whatever_lines_or_limit_ask()
    {
        // 700 lines of 60,000 characters (42 MB): 559 of them fit in 32 Mi characters.
        var log = _dir["wide.log"];
        File.WriteAllText(log, string.Concat(Enumerable.Repeat(new string('w', 60_000) + "\n", 700)));
        var read = Ok($"log://{log}.read", "lines=1000");
        Assert.Equal(559, read.Result!["count"]!.GetValue<long>());
        Assert.Contains(read.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("Mi characters"));
        var search = Ok($"log://{log}.search", "pattern=w", "limit=1000").Result!;
        Assert.Equal(700, search["count"]!.GetValue<long>());
        Assert.Equal(559, search["matches"]!.AsArray().Count);
        Assert.True(search["truncated"]!.GetValue<bool>());
    }

    [Fact]
    public void Invalid_utf8_becomes_replacement_characters_in_valid_json()
    {
        var log = _dir["bad.log"];
        File.WriteAllBytes(log, [.. "ok line\nbad "u8, 0xff, 0xfe, 0xc3, (byte)' ', .. "needle\n"u8]);
        var run = Ok($"log://{log}.search", "pattern=needle");
        Assert.Equal("bad \ufffd\ufffd\ufffd needle", run.Result!["matches"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(1, Ok($"log://{log}.parse", "pattern=needle").Result!["count"]!.GetValue<long>());
    }

    [Fact]
    public void A_symlinked_log_is_read_where_it_leads_and_named_so()
    {
        var real = _dir.File("real.log", "hello through a link\n");
        var link = _dir["link.log"];
        File.CreateSymbolicLink(link, real);
        var r = Ok($"log://{link}.search", "pattern=hello").Result!;
        Assert.Equal(real, r["files"]![0]!.GetValue<string>());
        Assert.Equal(real, r["matches"]![0]!["file"]!.GetValue<string>());
    }

    [Fact]
    public void A_gzip_bomb_among_rotated_files_is_read_only_to_max_unzipped_and_the_call_is_partial()
    {
        var dir = _dir["bomb"];
        Directory.CreateDirectory(dir);
        // 1 GiB of zeros compresses to about 1 MB.
        using (var f = File.Create(Path.Combine(dir, "app.log.2.gz")))
        using (var gz = new GZipStream(f, CompressionLevel.SmallestSize))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 1024; i++) gz.Write(zeros);
        }
        File.WriteAllText(Path.Combine(dir, "app.log.1"), "needle one\n");
        File.WriteAllText(Path.Combine(dir, "app.log"), "needle two\n");
        var run = Resh($"log://{dir}/app.log.search", "pattern=needle", "rotated=true", "max_unzipped=16MiB", "--format", "json");
        Assert.Equal(9, run.ExitCode);
        Assert.Equal("partial", run.ErrorCode);
        Assert.Contains("app.log.2.gz", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(run.Envelope["error"]!["hint"]?.GetValue<string>()));
        Assert.Equal(2, run.Result!["count"]!.GetValue<long>());
        Assert.True(run.Result!["bytes"]!.GetValue<long>() < 40L << 20);

        File.WriteAllBytes(Path.Combine(dir, "app.log.3.gz"), [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef]);
        var corrupt = Resh($"log://{dir}/app.log.search", "pattern=needle", "rotated=true", "max_unzipped=16MiB", "--format", "json");
        Assert.Equal("partial", corrupt.ErrorCode);
        Assert.Equal(2, corrupt.Envelope["error"]!["details"]!["skipped"]!.AsArray().Count);
    }

    [Fact]
    public void Bad_inputs_are_refused_with_the_right_code_and_a_hint()
    {
        var log = _dir.File("a.log", "x\n");
        void Refused(string code, params string[] args)
        {
            var run = Resh([.. args, "--format", "json"]);
            Assert.True(code == run.ErrorCode, $"{string.Join(' ', args)} → {run}");
            var error = run.Envelope["error"]!;
            Assert.False(string.IsNullOrEmpty(error["hint"]?.GetValue<string>()), run.ToString());
            Assert.DoesNotContain("   at ", run.Stdout + run.Stderr);
        }
        Refused("not_found", $"log://{_dir["missing.log"]}.read");
        Refused("not_found", $"log://{_dir.Path}/*.nothing.search", "pattern=x");
        Refused("usage", $"log://{_dir.Path}.read");
        Refused("usage", $"log://{log}.search", "pattern=(unclosed");
        Refused("usage", $"log://{log}.search");
        Refused("usage", $"log://{log}.search", "pattern=x", "since=yesterdayish");
        Refused("usage", $"log://{log}.search", "pattern=x", "since=1h", "until=2h");
        Refused("usage", $"log://{log}.search", "where=nofield");
        Refused("usage", $"log://{_dir.Path}/*/a.log.read");
        Refused("unsupported", "log://syslog.read");
        Refused("usage", "log://journal/.read");
    }

    static void Gz(string path, string text)
    {
        using var f = File.Create(path);
        using var gz = new GZipStream(f, CompressionLevel.Fastest);
        gz.Write(Encoding.UTF8.GetBytes(text));
    }
}
