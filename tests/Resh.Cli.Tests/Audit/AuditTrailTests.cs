using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Audit;

/// <summary>
/// Issue 18: the tamper-evident audit trail. With `[audit] enabled = true` every call of the command line and of
/// batch is appended to the state dir's audit/audit.jsonl as a hash chain; `audit verify` finds any edit, deletion,
/// reordering or cut-off tail; `audit list` filters; secrets never reach the log.
/// </summary>
public sealed class AuditTrailTests : IDisposable
{
    readonly TempDir _dir = new("audit");
    readonly string _state;
    readonly string _config;

    public AuditTrailTests()
    {
        _state = _dir["state"];
        _config = _dir.File("config.toml", "[audit]\nenabled = true\n");
    }

    public void Dispose() => _dir.Dispose();

    string Log => Path.Combine(_state, "audit", "audit.jsonl");
    string Head => Path.Combine(_state, "audit", "audit.head");

    ReshRun Resh(string[] args, string? stdin = null, IDictionary<string, string>? extraEnv = null, bool audit = true)
    {
        var env = new Dictionary<string, string> { ["RESH_HOME"] = _state };
        if (audit) env["RESH_CONFIG"] = _config;
        if (extraEnv is not null) foreach (var (k, v) in extraEnv) env[k] = v;
        return ReshBinary.Run(args, stdin: stdin, env: env);
    }

    List<JsonObject> Records() => File.ReadAllLines(Log).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();

    /// <summary>The outcome records: without the started records written before each changing call.</summary>
    List<JsonObject> Outcomes() => Records().Where(r => r["phase"] is null).ToList();

    void MakeSomeCalls()
    {
        var f = _dir["notes.txt"];
        Assert.Equal(0, Resh([$"file://{f}.write", "content=hello"]).ExitCode);
        Assert.Equal(0, Resh([$"file://{f}.read"]).ExitCode);
        Assert.Equal(3, Resh([$"file://{_dir["missing"]}.read"]).ExitCode);
        Assert.Equal(0, Resh([$"file://{f}.write", "content=changed", "--dry-run"]).ExitCode);
    }

    [Fact]
    public void Every_call_is_one_chained_record_with_who_what_and_how_it_ended()
    {
        MakeSomeCalls();
        var all = Records();
        // The write that changes the file is recorded before it runs too; reads and the dry run only once.
        Assert.Equal(5, all.Count);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], all.Select(r => r["seq"]!.GetValue<long>()));
        Assert.Equal("started", all[0]["phase"]!.GetValue<string>());
        Assert.Equal("started", all[0]["code"]!.GetValue<string>());
        Assert.Equal("write", all[0]["verb"]!.GetValue<string>());
        Assert.Equal(1, all[1]["started"]!.GetValue<long>());
        Assert.All(all.Skip(2), r => Assert.Null(r["started"]));
        var records = Outcomes();
        Assert.Equal(4, records.Count);
        Assert.Equal(new string('0', 64), all[0]["prev"]!.GetValue<string>());
        var lines = File.ReadAllLines(Log);
        for (int i = 1; i < lines.Length; i++)
            Assert.Equal(Sha256(lines[i - 1]), all[i]["prev"]!.GetValue<string>());

        Assert.All(records, r => Assert.Equal("cli", r["surface"]!.GetValue<string>()));
        Assert.All(records, r => Assert.StartsWith("unix:", r["identity"]!.GetValue<string>()));
        Assert.Equal(["write", "read", "read", "write"], records.Select(r => r["verb"]!.GetValue<string>()));
        Assert.Equal(["ok", "ok", "not_found", "ok"], records.Select(r => r["code"]!.GetValue<string>()));
        Assert.True(records[0]["changed"]!.GetValue<bool>());
        Assert.True(records[3]["dry_run"]!.GetValue<bool>());
        Assert.Equal(5, records[0]["args"]!["content"]!["bytes"]!.GetValue<long>()); // the size, never the content
        Assert.DoesNotContain("hello", File.ReadAllText(Log));
        Assert.True(DateTime.Parse(records[0]["time"]!.GetValue<string>()) > DateTime.UtcNow.AddMinutes(-5));

        // 0600 files in a 0700 directory (SPEC §7).
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Log));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Head));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(Log)!));

        var verify = Resh(["audit", "verify", "--format", "json"], audit: false);
        Assert.Equal(0, verify.ExitCode);
        var result = JsonNode.Parse(verify.Stdout)!["result"]!;
        Assert.True(result["intact"]!.GetValue<bool>());
        Assert.Equal(5, result["records"]!.GetValue<long>());
        Assert.Empty(result["unfinished"]!.AsArray());
        Assert.Equal(Sha256(lines[^1]), result["last_hash"]!.GetValue<string>());
    }

    [Fact]
    public void The_trail_is_off_unless_the_config_turns_it_on_and_meta_commands_are_not_recorded()
    {
        var f = _dir["quiet.txt"];
        Assert.Equal(0, Resh([$"file://{f}.write", "content=x"], audit: false).ExitCode);
        Assert.False(Directory.Exists(Path.Combine(_state, "audit")));
        Assert.Equal(0, Resh(["help"]).ExitCode);
        Assert.Equal(0, Resh(["version"]).ExitCode);
        Assert.False(File.Exists(Log));
        var verify = Resh(["audit", "verify"], audit: false);
        Assert.Equal(3, verify.ExitCode);
        Assert.Contains("enabled = true", JsonNode.Parse(verify.Stdout)!["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void A_secret_argument_never_reaches_the_log()
    {
        const string password = "Audit-Secret-4711-xyzzy";
        var src = _dir.File("src/a.txt", "data");
        var run = Resh([$"archive://{_dir["s.zip"]}.create", $"sources={Path.GetDirectoryName(src)}", "password=env:AUDIT_PW"],
            extraEnv: new Dictionary<string, string> { ["AUDIT_PW"] = password });
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        // The same secret typed as a literal (warned about) is masked too.
        var lit = Resh([$"archive://{_dir["t.zip"]}.create", $"sources={Path.GetDirectoryName(src)}", $"password={password}"]);
        Assert.True(lit.ExitCode == 0, lit.Stdout + lit.Stderr);
        var text = File.ReadAllText(Log);
        Assert.DoesNotContain(password, text);
        Assert.DoesNotContain("4711", text);
        Assert.Equal("***", Records()[0]["args"]!["password"]!.GetValue<string>());
    }

    [Fact]
    public void Values_of_secret_looking_keys_never_reach_the_log()
    {
        // User review s29: config set key=db.password value=... kept the value in the record.
        var yaml = _dir.File("app.yaml", "db:\n  host: a\n  password: old\napi:\n  url: x\n");
        Assert.Equal(0, Resh([$"config://{yaml}.set", "key=db.password", "value=NewSecret-0815-abc"]).ExitCode);
        Assert.Equal(0, Resh([$"config://{yaml}.merge", "document:={\"api\":{\"apiToken\":\"Tok-4242-merge\",\"url\":\"y\"}}"]).ExitCode);
        Assert.Equal(0, Resh([$"config://{yaml}.set", "key=db.host", "value=plain-host"]).ExitCode);
        var text = File.ReadAllText(Log);
        Assert.DoesNotContain("NewSecret-0815-abc", text);
        Assert.DoesNotContain("Tok-4242-merge", text);
        Assert.All(Records().Where(r => r["phase"] is not null), r => Assert.NotEqual("NewSecret-0815-abc", r["args"]!["value"]?.GetValue<string>()));
        var records = Outcomes();
        Assert.Equal("db.password", records[0]["args"]!["key"]!.GetValue<string>());
        Assert.Equal("***", records[0]["args"]!["value"]!.GetValue<string>());
        Assert.Equal("***", records[1]["args"]!["document"]!["api"]!["apiToken"]!.GetValue<string>());
        Assert.Equal("y", records[1]["args"]!["document"]!["api"]!["url"]!.GetValue<string>());
        Assert.Equal("plain-host", records[2]["args"]!["value"]!.GetValue<string>()); // not every value is masked
    }

    [Fact]
    public void Another_users_log_is_permission_denied_not_missing()
    {
        MakeSomeCalls();
        var run = Shell.Run($"setpriv --reuid=65534 --regid=65534 --clear-groups -- {Shell.Q(ReshBinary.Path)} audit list path={Shell.Q(Log)}");
        Assert.Equal(4, run.ExitCode);
        Assert.Equal("permission_denied", JsonNode.Parse(run.Stdout)!["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public void A_record_cut_short_by_a_full_disk_does_not_stop_the_trail()
    {
        // Attacker review s29: a half-written last record made every later append fail, silently, for good.
        MakeSomeCalls();
        File.AppendAllText(Log, "{\"seq\":5,\"time\":\"2026-");
        var f = _dir["after.txt"];
        var run = Resh([$"file://{f}.write", "content=x"]);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("incomplete record", run.Stderr);
        var records = Records();
        Assert.Equal(7, records.Count); // 5 before, then the write's started and outcome records
        Assert.Equal(7, records[^1]["seq"]!.GetValue<long>());
        Assert.Equal(0, Resh(["audit", "verify"], audit: false).ExitCode);
    }

    [Fact]
    public void A_secret_the_caller_chose_cannot_blank_the_verb_or_target_of_its_record()
    {
        // Attacker review s29: resolving "create" and the file name as secrets made the record read "verb":"***".
        var src = _dir.File("src2/a.txt", "data");
        var zip = _dir["blank.zip"];
        var run = Resh([$"archive://{zip}.create", $"sources={Path.GetDirectoryName(src)}", "password=env:PW"],
            extraEnv: new Dictionary<string, string> { ["PW"] = "create" });
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal(2, Records().Count);
        Assert.All(Records(), r => Assert.Equal("create", r["verb"]!.GetValue<string>()));
        var record = Outcomes().Single();
        Assert.Equal("create", record["verb"]!.GetValue<string>());
        Assert.Equal("archive://" + zip, record["target"]!.GetValue<string>());
        Assert.Equal("***", record["args"]!["password"]!.GetValue<string>());
    }

    [Fact]
    public void A_state_dir_another_user_may_write_is_not_used_and_a_planted_link_is_not_followed()
    {
        // Attacker review s29: a symlinked audit.head in a state dir owned by someone else made root overwrite a file.
        var victim = _dir.File("victim.txt", "precious\n");
        var state = _dir["foreign"];
        Directory.CreateDirectory(Path.Combine(state, "audit"));
        File.CreateSymbolicLink(Path.Combine(state, "audit", "audit.head"), victim);
        Assert.Equal(0, Shell.Run($"chown -R 65534:65534 {Shell.Q(state)}").ExitCode);
        var run = ReshBinary.Run([$"file://{victim}.stat"], env: new Dictionary<string, string> { ["RESH_HOME"] = state, ["RESH_CONFIG"] = _config });
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("not a directory of this user", run.Stderr);
        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.False(File.Exists(Path.Combine(state, "audit", "audit.jsonl")));
    }

    [Fact]
    public void Verbose_never_prints_a_password_written_into_the_target()
    {
        var run = Resh(["--verbose", "cache://user:Sekret-9917-pw@127.0.0.1:1/.ping", "--timeout", "5s"]);
        Assert.DoesNotContain("Sekret-9917-pw", run.Stderr);
        Assert.DoesNotContain("Sekret-9917-pw", File.ReadAllText(Log));
    }

    [Fact]
    public void Batch_requests_are_recorded_one_by_one_as_the_batch_surface()
    {
        var f = _dir["b.txt"];
        var input = $$$"""
            {"id":1,"stage":"file://{{{f}}}","verb":"write","args":{"content":"x"}}
            {"id":2,"stage":"file://{{{f}}}","verb":"stat"}
            """ + "\n";
        var run = Resh(["batch"], stdin: input);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(3, Records().Count);
        Assert.All(Records(), r => Assert.Equal("batch", r["surface"]!.GetValue<string>()));
        var records = Outcomes();
        Assert.Equal(2, records.Count);
        Assert.Equal(["write", "stat"], records.Select(r => r["verb"]!.GetValue<string>()));
    }

    [Fact]
    public void An_edited_record_is_found_and_named()
    {
        MakeSomeCalls();
        var lines = File.ReadAllLines(Log);
        lines[1] = lines[1].Replace("\"ok\":true", "\"ok\":false");
        File.WriteAllText(Log, string.Join("\n", lines) + "\n");
        var verify = Resh(["audit", "verify"], audit: false);
        Assert.Equal(1, verify.ExitCode);
        var error = JsonNode.Parse(verify.Stdout)!["error"]!;
        Assert.Equal("failed", error["code"]!.GetValue<string>());
        Assert.Contains("(record 2) was edited", error["message"]!.GetValue<string>());
        Assert.Equal(3, error["details"]!["problems"]![0]!["seq"]!.GetValue<long>());
    }

    [Fact]
    public void Editing_the_last_record_disagrees_with_the_head()
    {
        MakeSomeCalls();
        var lines = File.ReadAllLines(Log);
        lines[^1] = lines[^1].Replace("\"dry_run\":true", "\"dry_run\":false");
        File.WriteAllText(Log, string.Join("\n", lines) + "\n");
        var verify = Resh(["audit", "verify"], audit: false);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("head", verify.Stdout);
    }

    [Fact]
    public void Deleted_moved_and_cut_off_records_are_found()
    {
        MakeSomeCalls();
        var original = File.ReadAllLines(Log);

        File.WriteAllText(Log, string.Join("\n", original.Where((_, i) => i != 1)) + "\n");
        var deleted = Resh(["audit", "verify"], audit: false);
        Assert.Equal(1, deleted.ExitCode);
        Assert.Contains("missing", deleted.Stdout);

        File.WriteAllText(Log, string.Join("\n", new[] { original[0], original[2], original[1], original[3] }) + "\n");
        var moved = Resh(["audit", "verify"], audit: false);
        Assert.Equal(1, moved.ExitCode);

        File.WriteAllText(Log, string.Join("\n", original.Take(3)) + "\n");
        var cut = Resh(["audit", "verify"], audit: false);
        Assert.Equal(1, cut.ExitCode);
        Assert.Contains("cut off", cut.Stdout);

        File.WriteAllText(Log, string.Join("\n", original.Skip(1)) + "\n");
        var headless = Resh(["audit", "verify"], audit: false);
        Assert.Equal(1, headless.ExitCode);

        File.WriteAllText(Log, string.Join("\n", original) + "\n");
        Assert.Equal(0, Resh(["audit", "verify"], audit: false).ExitCode);
    }

    [Fact]
    public void List_filters_by_handle_code_and_time_and_keeps_the_newest()
    {
        MakeSomeCalls();
        var all = JsonNode.Parse(Resh(["audit", "list", "--format", "json"], audit: false).Stdout)!["result"]!;
        Assert.Equal(5, all["matched"]!.GetValue<long>());
        var notFound = JsonNode.Parse(Resh(["audit", "list", "code=not_found"], audit: false).Stdout)!["result"]!;
        Assert.Equal(1, notFound["matched"]!.GetValue<long>());
        Assert.Equal("read", notFound["records"]![0]!["verb"]!.GetValue<string>());
        var writes = JsonNode.Parse(Resh(["audit", "list", "verb=wr*", "limit=1"], audit: false).Stdout)!["result"]!;
        Assert.Equal(3, writes["matched"]!.GetValue<long>()); // started, outcome, dry run
        Assert.True(writes["truncated"]!.GetValue<bool>());
        Assert.Equal(5, writes["records"]![0]!["seq"]!.GetValue<long>());
        var started = JsonNode.Parse(Resh(["audit", "list", "code=started"], audit: false).Stdout)!["result"]!;
        Assert.Equal(1, started["matched"]!.GetValue<long>());
        Assert.Equal("started", started["records"]![0]!["phase"]!.GetValue<string>());
        var recent = JsonNode.Parse(Resh(["audit", "list", "since=1h"], audit: false).Stdout)!["result"]!;
        Assert.Equal(5, recent["matched"]!.GetValue<long>());
        var future = JsonNode.Parse(Resh(["audit", "list", "since=2099-01-01T00:00:00Z"], audit: false).Stdout)!["result"]!;
        Assert.Equal(0, future["matched"]!.GetValue<long>());
        var bad = Resh(["audit", "list", "since=yesterdayish"], audit: false);
        Assert.Equal(2, bad.ExitCode);
        var table = Resh(["audit", "list", "since=1h", "--format", "table"], audit: false);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("not_found", table.Stdout);
    }

    [Fact]
    public async Task Parallel_processes_append_without_losing_or_forking_records()
    {
        var f = _dir["par.txt"];
        File.WriteAllText(f, "x");
        var runs = Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 5; i++) Assert.Equal(0, Resh([$"file://{f}.stat"]).ExitCode);
        })).ToArray();
        await Task.WhenAll(runs);
        var records = Records();
        Assert.Equal(30, records.Count);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), records.Select(r => r["seq"]!.GetValue<long>()));
        Assert.Equal(0, Resh(["audit", "verify"], audit: false).ExitCode);
    }

    [Fact]
    public async Task A_changing_call_killed_while_it_runs_leaves_its_started_record_and_verify_names_it()
    {
        // Attacker review s29: records were written only after the call, so a SIGKILL left the effect with no record.
        using var tarpit = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        tarpit.Start();
        var port = ((System.Net.IPEndPoint)tarpit.LocalEndpoint).Port;
        var psi = new System.Diagnostics.ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { $"http://127.0.0.1:{port}/transfer.post", "json:={\"amount\":\"2\"}", "--timeout", "60s" }) psi.ArgumentList.Add(a);
        psi.Environment["RESH_HOME"] = _state;
        psi.Environment["RESH_CONFIG"] = _config;
        using var p = System.Diagnostics.Process.Start(psi)!;
        try
        {
            // The request reached the server: the call is under way when it is killed.
            using var connected = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var conn = await tarpit.AcceptSocketAsync(connected.Token);
            p.Kill(); // while the connection is open: closing it first would let the call end (and record its outcome)
            p.WaitForExit();
        }
        finally
        {
            p.Kill();
            p.WaitForExit();
        }
        var record = Records().Single();
        Assert.Equal("started", record["phase"]!.GetValue<string>());
        Assert.Equal("post", record["verb"]!.GetValue<string>());
        Assert.Equal("2", record["args"]!["json"]!["amount"]!.GetValue<string>());
        var verify = Resh(["audit", "verify", "--format", "json"], audit: false);
        Assert.Equal(0, verify.ExitCode);
        Assert.Equal([1L], JsonNode.Parse(verify.Stdout)!["result"]!["unfinished"]!.AsArray().Select(n => n!.GetValue<long>()));
        Assert.Contains("started with no outcome", Resh(["audit", "verify", "--format", "table"], audit: false).Stdout);
    }

    static string Sha256(string line) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(line)));
}
