using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Serve;

/// <summary>
/// Review s37 attacker #1/#1a/#1a'/#1c/#1d: a role's path patterns were checked by name before the call, and delete,
/// move's source, symlink, reads, http body=@FILE and http output= then acted by path, so a local user who owns a
/// directory under the pattern swapped it with a symlink to outside and the root server deleted, moved, planted, read,
/// sent or wrote files outside the role. Every such act now goes through a descriptor whose kernel name is checked
/// (PathConfinement). The flipper (uid 65534) swaps u/d (a directory) and u/l (a link to outside) all along; the whole
/// outside area is checked after every batch of calls: nothing deleted, moved, created, changed or leaked.
/// </summary>
public sealed class ServeConfineRaceTests : IDisposable
{
    readonly TempDir _dir = new("confrace");
    readonly string _state, _config, _app, _u, _outside;
    readonly List<ServeProcess> _servers = [];
    Process? _sink;
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };
    const string Secret = "root:$6$SHADOWHASH";
    const int Tries = 150;

    public ServeConfineRaceTests()
    {
        _state = _dir["state"];
        _app = _dir["app"];
        _u = Path.Combine(_app, "u");
        _outside = _dir["outside"];
        _config = _dir["config.toml"];
    }

    public void Dispose()
    {
        foreach (var s in _servers) s.Dispose();
        if (_sink is { } p)
        {
            try { if (!p.HasExited) { p.Kill(true); p.WaitForExit(5000); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
        _dir.Dispose();
    }

    static bool IsRoot => Shell.Run("id -u").Stdout.Trim() == "0";

    /// <summary>outside/NAME{i} (root, 0644, the secret) for every i, u/d/NAME{i} decoys (uid 65534), u/l -> outside.</summary>
    void Setup(string name, int port = 0)
    {
        var b = _dir.Path;
        var run = Shell.Run($"""
            set -e
            chmod 0755 {Shell.Q(b)}
            mkdir -p {Shell.Q(_outside)} {Shell.Q(_u)}/d
            for i in $(seq 0 {Tries}); do printf '%s\n' '{Secret}' > {Shell.Q(_outside)}/{name}$i; printf 'decoy\n' > {Shell.Q(_u)}/d/{name}$i; done
            ln -s {Shell.Q(_outside)} {Shell.Q(_u)}/l
            chown -R 65534:65534 {Shell.Q(_u)} && chown -h 65534:65534 {Shell.Q(_u)}/l
            """);
        Assert.True(run.ExitCode == 0, run.ToString());
        File.WriteAllText(_config, $$"""
            [roles.app]
            allow = ["file.*:file://{{_app}}/**"]
            [roles.web]
            allow = ["http.*:http://127.0.0.1:{{port}}/**", "http.*:file://{{_app}}/**"]
            """);
    }

    /// <summary>The outside area as it was made: every file there, with its content and mode, and nothing else.</summary>
    string Outside() => string.Join("\n", Directory.EnumerateFileSystemEntries(_outside).Order(StringComparer.Ordinal)
        .Select(p => $"{Path.GetFileName(p)} {(File.GetAttributes(p).HasFlag(FileAttributes.ReparsePoint) ? "link" : Convert.ToString((int)File.GetUnixFileMode(p), 8) + " " + File.ReadAllText(p).Trim())}"));

    Dictionary<string, string> Env => new() { ["RESH_HOME"] = _state, ["RESH_CONFIG"] = _config };

    string Token(string role) => ServeProcess.Token(Env, $"{role}{Guid.NewGuid():N}"[..12], role);

    string Start()
    {
        var server = ServeProcess.Start(_state, _config);
        _servers.Add(server);
        return server.Url;
    }

    static async Task<JsonObject> CallAsync(string url, string token, JsonObject call)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, url + "/v1/call") { Content = new StringContent(call.ToJsonString(), Encoding.UTF8, "application/json") };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var resp = await Http.SendAsync(req);
        return JsonNode.Parse(await resp.Content.ReadAsStringAsync())!.AsObject();
    }

    static string Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>() ?? "ok";

    /// <summary>Runs the calls with the flipper going; the outside area must stay as it was after every one.</summary>
    async Task<(int Ok, int Refused)> RaceAsync(string role, Func<int, JsonObject> call, Action<JsonObject>? each = null)
    {
        var token = Token(role);
        var url = Start();
        var before = Outside();
        // Control, no race: through the link the call is refused before it runs.
        var control = await CallAsync(url, token, call(Tries));
        Assert.True(Code(control) != "ok", control.ToJsonString());
        using var flipper = new SymlinkFlipper(_u, "d", "l", 90);
        int ok = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Tries && clock.Elapsed < TimeSpan.FromSeconds(60); i++)
        {
            var env = await CallAsync(url, token, call(i));
            if (Code(env) == "ok") ok++; else refused++;
            each?.Invoke(env);
            if (i % 10 == 0) Assert.Equal(before, Outside());
        }
        Assert.True(flipper.Running, "the flipper stopped early");
        flipper.Dispose();
        Assert.Equal(before, Outside());
        // Both ways were taken: some calls went through the directory, others met the link (refused).
        Assert.True(ok > 0 && refused > 0, $"ok {ok}, refused {refused}");
        return (ok, refused);
    }

    JsonObject FileCall(string verb, string name, int i, JsonObject? args = null) =>
        new() { ["stage"] = $"file://{_u}/{(i == Tries ? "l" : "d")}/{name}{i}", ["verb"] = verb, ["args"] = args ?? new JsonObject() };

    [Fact]
    public async Task Delete_under_a_racing_symlink_never_removes_a_file_outside_the_role()
    {
        if (!IsRoot) return;
        Setup("victim");
        var (ok, refused) = await RaceAsync("app", i => FileCall("delete", "victim", i));
        Assert.True(ok + refused == Tries, $"ok {ok}, refused {refused}");
    }

    [Fact]
    public async Task Read_under_a_racing_symlink_never_returns_a_file_outside_the_role()
    {
        if (!IsRoot) return;
        Setup("shadow");
        var leaked = 0;
        var (ok, _) = await RaceAsync("app", i => i == Tries ? FileCall("read", "shadow", i) : FileCall("read", "shadow", i % 3), env => { if (env.ToJsonString().Contains("SHADOWHASH")) leaked++; });
        Assert.Equal(0, leaked);
        Assert.True(ok > 0, "no read went through at all");
    }

    [Fact]
    public async Task Move_under_a_racing_symlink_never_takes_a_file_from_outside_the_role()
    {
        if (!IsRoot) return;
        Setup("keep");
        Directory.CreateDirectory(Path.Combine(_app, "stolen"));
        await RaceAsync("app", i => FileCall("move", "keep", i, new JsonObject { ["to"] = $"{_app}/stolen/keep{i}" }));
        foreach (var f in Directory.EnumerateFiles(Path.Combine(_app, "stolen")))
            Assert.DoesNotContain("SHADOWHASH", File.ReadAllText(f));
    }

    [Fact]
    public async Task Symlink_under_a_racing_symlink_never_plants_a_link_outside_the_role()
    {
        if (!IsRoot) return;
        Setup("x");
        await RaceAsync("app", i => FileCall("symlink", "planted", i, new JsonObject { ["to"] = $"{_app}/u" }));
    }

    [Fact]
    public async Task Chmod_under_a_racing_symlink_never_changes_a_file_outside_the_role()
    {
        if (!IsRoot) return;
        Setup("mode");
        await RaceAsync("app", i => FileCall("chmod", "mode", i, new JsonObject { ["mode"] = "0600" }));
    }

    /// <summary>An HTTP endpoint on loopback that appends every request body it gets to a file and answers GETs with "FROM-URL".</summary>
    (int Port, string Received) Sink()
    {
        var port = LoopbackPorts.Free(1)[0];
        var received = _dir["received.bin"];
        File.WriteAllText(received, "");
        const string Server = """
            import http.server, sys
            out = sys.argv[2]
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    n = int(self.headers.get('Content-Length') or 0)
                    data = self.rfile.read(n) if n else b''
                    with open(out, 'ab') as f: f.write(data + b'\n')
                    self.send_response(200); self.send_header('Content-Length', '2'); self.end_headers(); self.wfile.write(b'ok')
                def do_GET(self):
                    self.send_response(200); self.send_header('Content-Length', '9'); self.end_headers(); self.wfile.write(b'FROM-URL\n')
                def log_message(self, *a): pass
            http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """;
        _sink = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", Server, port.ToString(), received]) { UseShellExecute = false })!;
        for (int i = 0; i < 100; i++)
        {
            try { using var c = new System.Net.Sockets.TcpClient("127.0.0.1", port); break; }
            catch (System.Net.Sockets.SocketException) { Thread.Sleep(100); }
        }
        return (port, received);
    }

    [Fact]
    public async Task Post_body_from_a_file_under_a_racing_symlink_never_sends_a_file_outside_the_role()
    {
        if (!IsRoot) return;
        var (port, received) = Sink();
        Setup("shadow", port);
        var (ok, _) = await RaceAsync("web", i => new JsonObject
        {
            ["stage"] = $"http://127.0.0.1:{port}/x", ["verb"] = "post",
            ["args"] = new JsonObject { ["body"] = $"@{_u}/{(i == Tries ? "l" : "d")}/shadow{i % 3}" },
        });
        Assert.DoesNotContain("SHADOWHASH", File.ReadAllText(received));
        Assert.True(ok > 0, "no post went through at all");
        // Straight outside, and the server's own stdin: refused before the call.
        var token = Token("web");
        var url = Start();
        var direct = await CallAsync(url, token, new JsonObject { ["stage"] = $"http://127.0.0.1:{port}/x", ["verb"] = "post", ["args"] = new JsonObject { ["body"] = $"@{_outside}/shadow0" } });
        Assert.Equal("permission_denied", Code(direct));
        var stdin = await CallAsync(url, token, new JsonObject { ["stage"] = $"http://127.0.0.1:{port}/x", ["verb"] = "post", ["args"] = new JsonObject { ["body"] = "@-" } });
        Assert.Equal("permission_denied", Code(stdin));
        Assert.DoesNotContain("SHADOWHASH", File.ReadAllText(received));
    }

    [Fact]
    public async Task Get_output_under_a_racing_symlink_never_writes_a_file_outside_the_role()
    {
        if (!IsRoot) return;
        var (port, _) = Sink();
        Setup("dl", port);
        var (ok, _) = await RaceAsync("web", i => new JsonObject
        {
            ["stage"] = $"http://127.0.0.1:{port}/x", ["verb"] = "get",
            ["args"] = new JsonObject { ["output"] = $"{_u}/{(i == Tries ? "l" : "d")}/dl{i}" },
        });
        Assert.True(ok > 0, "no download went through at all");
    }

    [Fact]
    public async Task A_rest_client_alone_cannot_build_a_swap_that_deletes_outside_the_role()
    {
        // s37 #1b: a relative link checked where it is made points outside once its directory is moved; a second
        // client loop moves directories around while the first deletes through the link's name.
        if (!IsRoot) return;
        Setup("victim");
        var token = Token("app");
        var url = Start();
        async Task Ok(JsonObject call) { var e = await CallAsync(url, token, call); Assert.True(Code(e) == "ok", e.ToJsonString()); }
        await Ok(new JsonObject { ["stage"] = $"file://{_app}/k1/k2/m", ["verb"] = "mkdir", ["args"] = new JsonObject { ["parents"] = true } });
        // From k1/k2/m, ../../outside is k1/outside (inside the role); from A, two levels up, it is the outside area.
        await Ok(new JsonObject { ["stage"] = $"file://{_app}/k1/k2/m/s", ["verb"] = "symlink", ["args"] = new JsonObject { ["to"] = "../../outside" } });
        await Ok(new JsonObject { ["stage"] = $"file://{_app}/k1/k2/m", ["verb"] = "move", ["args"] = new JsonObject { ["to"] = $"{_app}/A" } });
        Assert.Equal(_outside, Path.GetFullPath(Path.Combine(_app, "A", new FileInfo(Path.Combine(_app, "A", "s")).LinkTarget!)));
        var before = Outside();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var mover = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
                foreach (var (from, to) in new[] { ("M", "B"), ("A", "M"), ("M", "A"), ("B", "M") })
                    await CallAsync(url, token, new JsonObject { ["stage"] = $"file://{_app}/{from}", ["verb"] = "move", ["args"] = new JsonObject { ["to"] = $"{_app}/{to}" } });
        });
        for (int i = 0; i < Tries && !cts.IsCancellationRequested; i++)
            await CallAsync(url, token, new JsonObject { ["stage"] = $"file://{_app}/M/s/victim{i}", ["verb"] = "delete" });
        await cts.CancelAsync();
        await mover;
        Assert.Equal(before, Outside());
    }

    /// <summary>The inodes of every file in the outside area (a stat that reached one would show it).</summary>
    HashSet<long> OutsideInodes() => Directory.EnumerateFiles(_outside).Select(f => long.Parse(Shell.Run($"stat -c %i {Shell.Q(f)}").Stdout.Trim())).ToHashSet();

    [Fact]
    public async Task Stat_under_a_racing_symlink_never_describes_a_file_outside_the_role()
    {
        if (!IsRoot) return;
        Setup("st");
        var inodes = OutsideInodes();
        int leaked = 0, described = 0;
        await RaceAsync("app", i => FileCall("stat", "st", i), env =>
        {
            if (Code(env) != "ok" || env["result"]?["exists"]?.GetValue<bool>() != true) return;
            described++;
            if (env["result"]!["size"]!.GetValue<long>() != 6 || inodes.Contains(env["result"]!["inode"]!.GetValue<long>())) leaked++;
        });
        Assert.Equal(0, leaked);
        Assert.True(described > 0, "no stat went through at all");
    }

    [Fact]
    public async Task Hash_under_a_racing_symlink_never_digests_a_file_outside_the_role()
    {
        if (!IsRoot) return;
        Setup("hs");
        var secretDigest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(Secret + "\n")));
        int leaked = 0, hashed = 0;
        await RaceAsync("app", i => FileCall("hash", "hs", i), env =>
        {
            if (Code(env) != "ok") return;
            hashed++;
            if (env["result"]!["digest"]!.GetValue<string>() == secretDigest || env["result"]!["size"]!.GetValue<long>() != 6) leaked++;
        });
        Assert.Equal(0, leaked);
        Assert.True(hashed > 0, "no hash went through at all");
    }

    [Fact]
    public async Task List_under_a_racing_symlink_never_names_an_entry_outside_the_role()
    {
        if (!IsRoot) return;
        Setup("ls");
        File.WriteAllText(Path.Combine(_outside, "only-outside-name"), Secret);
        int leaked = 0, listed = 0;
        await RaceAsync("app", i => new JsonObject
        {
            ["stage"] = $"file://{_u}/{(i == Tries ? "l" : "d")}",
            ["verb"] = "list",
            ["args"] = i % 2 == 0 ? new JsonObject() : new JsonObject { ["recursive"] = true },
        }, env =>
        {
            if (Code(env) != "ok") return;
            listed++;
            if (env.ToJsonString().Contains("only-outside-name")) leaked++;
        });
        Assert.Equal(0, leaked);
        Assert.True(listed > 0, "no list went through at all");
    }

    [Fact]
    public async Task Copy_under_a_racing_symlink_never_copies_a_file_from_outside_the_role()
    {
        if (!IsRoot) return;
        Setup("cp");
        var copies = Directory.CreateDirectory(Path.Combine(_app, "copies")).FullName;
        await RaceAsync("app", i => FileCall("copy", "cp", i, new JsonObject { ["to"] = $"{copies}/cp{i}" }));
        Assert.NotEmpty(Directory.EnumerateFiles(copies));
        foreach (var f in Directory.EnumerateFiles(copies))
            Assert.Equal("decoy\n", File.ReadAllText(f));
    }

    [Fact]
    public async Task Tail_under_a_racing_symlink_never_returns_lines_from_outside_the_role()
    {
        if (!IsRoot) return;
        Setup("tl");
        int leaked = 0, tailed = 0;
        await RaceAsync("app", i => FileCall("tail", "tl", i), env =>
        {
            if (Code(env) != "ok") return;
            tailed++;
            if (env.ToJsonString().Contains("SHADOWHASH")) leaked++;
        });
        Assert.Equal(0, leaked);
        Assert.True(tailed > 0, "no tail went through at all");
    }

    [Fact]
    public async Task Read_verbs_work_inside_the_role_and_refuse_through_a_link_to_outside()
    {
        if (!IsRoot) return;
        Setup("in");
        var token = Token("app");
        var url = Start();
        async Task<JsonObject> Call(string target, string verb, JsonObject? args = null) =>
            await CallAsync(url, token, new JsonObject { ["stage"] = $"file://{target}", ["verb"] = verb, ["args"] = args ?? new JsonObject() });
        File.CreateSymbolicLink($"{_u}/d/alias", "in0");
        var stat = await Call($"{_u}/d/in0", "stat");
        Assert.Equal("ok", Code(stat));
        Assert.Equal(6, stat["result"]!["size"]!.GetValue<long>());
        var lstat = await Call($"{_u}/d/alias", "stat", new JsonObject { ["follow"] = false });
        Assert.Equal("symlink", lstat["result"]!["type"]!.GetValue<string>());
        Assert.Equal("in0", lstat["result"]!["link_target"]?.GetValue<string>() ?? lstat["result"]!["target"]?.GetValue<string>());
        Assert.False((await Call($"{_u}/d/missing", "stat"))["result"]!["exists"]!.GetValue<bool>());
        Assert.True((await Call($"{_u}/d/in1", "exists"))["result"]!["exists"]!.GetValue<bool>());
        Assert.False((await Call($"{_u}/d/missing", "exists"))["result"]!["exists"]!.GetValue<bool>());
        var hash = await Call($"{_u}/d/alias", "hash");
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("decoy\n"u8.ToArray())), hash["result"]!["digest"]!.GetValue<string>());
        var list = await Call($"{_u}/d", "list", new JsonObject { ["pattern"] = "in1*" });
        Assert.Equal("ok", Code(list));
        Assert.Equal(Enumerable.Range(0, Tries + 1).Count(i => $"in{i}".StartsWith("in1", StringComparison.Ordinal)), list["result"]!["count"]!.GetValue<int>());
        var one = await Call($"{_u}/d/in2", "list");
        Assert.Equal(1, one["result"]!["count"]!.GetValue<int>());
        Assert.Equal("not_found", Code(await Call($"{_u}/d/missing", "hash")));
        var tail = await Call($"{_u}/d/alias", "tail", new JsonObject { ["lines"] = 1 });
        Assert.Equal("decoy", tail["result"]!["lines"]![0]!.GetValue<string>());
        var link = await Call($"{_u}/d/alias", "readlink");
        Assert.Equal("in0", link["result"]!["target"]!.GetValue<string>());
        Assert.Equal($"{_u}/d/in0", link["result"]!["resolved"]!.GetValue<string>());
        Assert.True(link["result"]!["resolved_exists"]!.GetValue<bool>());
        // A link inside the role that leads outside: refused (the role's check by name resolves the link), nothing of the outside file told.
        File.CreateSymbolicLink($"{_u}/d/out", $"{_outside}/in0");
        var outLink = await Call($"{_u}/d/out", "readlink");
        Assert.True(Code(outLink) == "permission_denied", outLink.ToJsonString());
        var copy = await Call($"{_u}/d/in3", "copy", new JsonObject { ["to"] = $"{_app}/in3.copy" });
        Assert.True(Code(copy) == "ok", copy.ToJsonString());
        Assert.Equal("decoy\n", File.ReadAllText($"{_app}/in3.copy"));
        File.WriteAllText($"{_u}/d/other", "other\n");
        Assert.Equal("conflict", Code(await Call($"{_u}/d/other", "copy", new JsonObject { ["to"] = $"{_app}/in3.copy" })));
        Assert.Equal("ok", Code(await Call($"{_u}/d/other", "copy", new JsonObject { ["to"] = $"{_app}/in3.copy", ["overwrite"] = "skip" })));
        Assert.Equal("decoy\n", File.ReadAllText($"{_app}/in3.copy"));
        var again = await Call($"{_u}/d/in3", "copy", new JsonObject { ["to"] = $"{_app}/in3.copy" });
        Assert.Equal(1, again["result"]!["unchanged"]!.GetValue<long>());
        // The destination outside the role is refused, through a link or by name.
        Assert.Equal("permission_denied", Code(await Call($"{_u}/d/in3", "copy", new JsonObject { ["to"] = $"{_u}/l/in3-new" })));
        Assert.False(File.Exists($"{_outside}/in3-new"));
        // Through the link to outside, every one of them is refused, and a missing name there is refused too (no probing).
        foreach (var (target, verb) in new[] { ($"{_u}/l/in0", "stat"), ($"{_u}/l/in0", "exists"), ($"{_u}/l/in0", "hash"), ($"{_u}/l", "list"), ($"{_u}/l/nothing", "stat"), ($"{_u}/l/nothing", "exists"), ($"{_u}/l/no/such", "hash"), ($"{_u}/l/in0", "tail"), ($"{_u}/l/in0", "readlink") })
        {
            var env = await Call(target, verb);
            Assert.True(Code(env) == "permission_denied", $"{verb} {target}: {env.ToJsonString()}");
        }
    }

    [Fact]
    public async Task A_verb_that_acts_by_name_is_refused_under_a_roles_path_patterns_and_the_audit_names_what_was_acted_on()
    {
        if (!IsRoot) return;
        Setup("c");
        var token = Token("app");
        var url = Start();
        // file.ea.list acts on its file by name: refused under the role's patterns, before anything runs.
        var touch = await CallAsync(url, token, new JsonObject { ["stage"] = $"file://{_app}/touched", ["verb"] = "ea.list" });
        Assert.Equal("permission_denied", Code(touch));
        Assert.Contains("by name", touch["error"]!["message"]!.GetValue<string>());
        Assert.False(File.Exists($"{_app}/touched"));
        // A read through a symlink inside the role: the audit record names the file read.
        File.WriteAllText($"{_app}/real.txt", "inside\n");
        File.CreateSymbolicLink($"{_app}/alias.txt", $"{_app}/real.txt");
        var read = await CallAsync(url, token, new JsonObject { ["stage"] = $"file://{_app}/alias.txt", ["verb"] = "read" });
        Assert.Equal("ok", Code(read));
        var audit = File.ReadAllLines(Path.Combine(_state, "audit", "audit.jsonl")).Select(l => JsonNode.Parse(l)!).Last(r => r["verb"]?.GetValue<string>() == "read");
        Assert.Equal($"{_app}/real.txt", audit["acted_on"]![0]!.GetValue<string>());
    }
}
