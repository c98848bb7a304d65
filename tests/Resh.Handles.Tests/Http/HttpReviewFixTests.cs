using System.Text;
using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Http;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>
/// The findings of issue 13's user review about http:// (D4, D5, D11, D20, D21), each run through the native binary
/// against the real Kestrel server of <see cref="HttpBackend"/> or a raw loopback socket where Kestrel cannot answer
/// the way the finding needs (an HTTP/1.0 server).
/// </summary>
[Collection("http")]
public sealed class HttpReviewFixTests(HttpBackend server)
{
    static ReshRun Resh(params string[] args) => NetTestKit.Resh(args);

    [Fact]
    public void A_symlink_or_a_proc_file_is_sent_whole_and_a_directory_is_a_usage_error()
    {
        using var tmp = new TempDir();
        var target = tmp.File("twelve.txt", "hello world\n");
        var link = Path.Combine(tmp.Path, "lnk");
        File.CreateSymbolicLink(link, target); // lstat gives the length of the target path; the target holds 12 bytes

        var up = Resh($"{server.Http}/echo", "upload", $"file={link}");
        Assert.True(up.Ok, up.ToString());
        Assert.Equal(12, up.Result!["body"]!["body_length"]!.GetValue<int>());
        Assert.Equal("12", up.Result!["body"]!["headers"]!["content-length"]!.GetValue<string>());
        var post = Resh($"{server.Http}/echo", "post", $"body=@{link}");
        Assert.True(post.Ok, post.ToString());
        Assert.Equal("hello world\n", post.Result!["body"]!["body"]!.GetValue<string>());

        // procfs says 0 bytes: the body goes chunked, and all of it arrives (resh's own status).
        foreach (var args in new[] { new[] { "upload", "file=/proc/self/status" }, ["post", "body=@/proc/self/status"] })
        {
            var proc = Resh([$"{server.Http}/echo", .. args]);
            Assert.True(proc.Ok, proc.ToString());
            var echo = proc.Result!["body"]!;
            Assert.Equal("chunked", echo["headers"]!["transfer-encoding"]!.GetValue<string>());
            Assert.Null(echo["headers"]!["content-length"]);
            Assert.StartsWith("Name:", echo["body"]!.GetValue<string>());
            Assert.Contains("\nPid:", echo["body"]!.GetValue<string>());
        }

        var dir = Resh($"{server.Http}/echo", "upload", $"file={tmp.Path}");
        Assert.Equal("usage", dir.ErrorCode);
        Assert.Contains("is a directory", dir.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal("usage", Resh($"{server.Http}/echo", "post", $"body=@{tmp.Path}").ErrorCode);
        Assert.Equal("not_found", Resh($"{server.Http}/echo", "upload", $"file={tmp.Path}/nope").ErrorCode);
    }

    /// <summary>Runs resh through sh so that an argument can carry bytes that are not UTF-8 (printf makes them).</summary>
    static ReshRun WithRawBytes(string script, params string[] args) =>
        NetTestKit.Run("sh", ["-c", script, ReshBinary.Path, .. args]);

    [Fact]
    public void Arguments_with_bytes_that_are_not_utf8_are_refused_never_mangled()
    {
        using var tmp = new TempDir();
        // output=DIR/a\xffb: .NET would read a\uFFFDb and write a\xEF\xBF\xBDb, another name.
        var r = WithRawBytes("exec \"$0\" \"$1/big.bin?size=10.get\" output=\"$2/$(printf 'a\\377b')\"", server.Http, tmp.Path);
        Assert.Equal("usage", r.ErrorCode);
        Assert.Contains("not UTF-8", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains("\\xFF", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));

        var url = WithRawBytes("exec \"$0\" \"$1/$(printf 'a\\377').get\"", server.Http);
        Assert.Equal("usage", url.ErrorCode);
        Assert.Equal(2, url.ExitCode);

        // Valid UTF-8 (and a real U+FFFD typed as such) goes through unchanged.
        var name = Path.Combine(tmp.Path, "caf\u00e9-\uFFFD.bin");
        var ok = Resh($"{server.Http}/big.bin?size=10.get", $"output={name}");
        Assert.True(ok.Ok, ok.ToString());
        Assert.True(File.Exists(name));
    }

    [Fact]
    public void The_server_header_is_as_sent_and_an_http_1_0_answer_says_1_0()
    {
        using var old = new LoopbackServer(async (stream, ct) =>
        {
            if (await LoopbackServer.ReadRequestHeadAsync(stream, ct) is null) return;
            // python's http.server: HTTP/1.0, two product tokens in Server, body until close.
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                "HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nContent-Type: text/plain\r\n\r\nhello"), ct);
        });
        var r = Resh($"http://127.0.0.1:{old.Port}/x.get");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("BaseHTTP/0.6 Python/3.11.7", r.Result!["headers"]!["server"]!.GetValue<string>());
        Assert.Equal("1.0", r.Result!["http_version"]!.GetValue<string>());
        Assert.Equal("hello", r.Result!["body"]!.GetValue<string>());

        var h11 = Resh($"{server.Http}/health.get");
        Assert.Equal("1.1", h11.Result!["http_version"]!.GetValue<string>());
        var h2 = Resh($"{server.Https}/health.get", $"ca={server.CaPem}");
        Assert.Equal("2", h2.Result!["http_version"]!.GetValue<string>());
    }

    [Fact]
    public void Put_and_delete_are_changed_like_their_dry_run_and_head_raw_prints_the_headers_like_curl_I()
    {
        foreach (var verb in new[] { "put", "delete", "post" })
        {
            var dry = Resh($"{server.Http}/echo", verb, "--dry-run");
            Assert.True(dry.Ok && dry.Changed, dry.ToString());
            var real = Resh($"{server.Http}/echo", verb);
            Assert.True(real.Ok && real.Changed, real.ToString());
        }
        var get = Resh($"{server.Http}/echo", "get");
        Assert.True(get.Ok && !get.Changed, get.ToString());

        var head = NetTestKit.RunBytes(ReshBinary.Path, $"{server.Http}/text.head", "--format", "raw");
        Assert.Equal(0, head.Exit);
        var text = Encoding.ASCII.GetString(head.Stdout);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.Contains($"\r\nContent-Length: {Encoding.UTF8.GetByteCount(HttpBackend.Text)}\r\n", text);
        Assert.Contains("Content-Type: text/plain; charset=utf-8\r\n", text);
        Assert.EndsWith("\r\n\r\n", text);
        Assert.DoesNotContain("\"ok\"", text);
    }

    [Fact]
    public void The_download_table_shows_received_and_speed_in_human_units()
    {
        using var tmp = new TempDir();
        var r = Resh($"{server.Http}/big.bin?size=3000000", "download", $"output={tmp.Path}/t.bin", "--format", "table");
        Assert.Equal(0, r.ExitCode);
        var line = r.Stdout.Split('\n').First(l => l.TrimStart().StartsWith("received", StringComparison.Ordinal));
        Assert.Contains("2.9 MiB", line);
        Assert.Matches(@"bytes_per_second\s+[0-9.]+ [KMG]?i?B/s", r.Stdout);
    }

    [Fact]
    public void Misleading_errors_name_the_real_cause()
    {
        // A download into /proc: the .part cannot be created, nothing was received; not a "cut connection".
        var proc = Resh($"{server.Http}/big.bin?size=10", "download", "output=/proc/self/status");
        Assert.False(proc.Ok, proc.ToString());
        var message = proc.Envelope["error"]!["message"]!.GetValue<string>();
        Assert.Contains("Cannot create /proc/self/status.part", message);
        Assert.DoesNotContain("cut", message);

        // A proxy that refuses: the error names the proxy, not the target.
        var closed = NetTestKit.FreePort();
        foreach (var proxy in new[] { $"http://127.0.0.1:{closed}", $"socks5://127.0.0.1:{closed}" })
        {
            var p = Resh($"{server.Http}/health.get", $"proxy={proxy}");
            Assert.Equal("unavailable", p.ErrorCode);
            Assert.Contains($"proxy 127.0.0.1:{closed}", p.Envelope["error"]!["message"]!.GetValue<string>());
        }

        // A proxy= that is not a proxy URL is the caller's error, not "a bug in resh" (user review s27).
        foreach (var bad in new[] { "notaurl", "ftp://127.0.0.1:21", "http://" })
        {
            var p = Resh($"{server.Http}/health.get", $"proxy={bad}");
            Assert.True(p.ErrorCode == "usage", p.ToString());
        }

        // A header value that is not ASCII is the caller's error.
        var wide = Resh($"{server.Http}/echo", "get", "header=X-Name: caf\u00e9");
        Assert.Equal("usage", wide.ErrorCode);
        Assert.Contains("not ASCII", wide.Envelope["error"]!["message"]!.GetValue<string>());
    }
    [Fact]
    public void Ndjson_prints_the_bodys_list_as_items_never_the_redirect_hops()
    {
        // A body that is an object: one line, the envelope, with the redirect hop kept inside it.
        var hop = Uri.EscapeDataString("/health");
        var one = Resh($"{server.Http}/redirect-to?url={hop}", "get", "--format", "ndjson");
        Assert.Equal(0, one.ExitCode);
        var lines = one.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        var env = System.Text.Json.Nodes.JsonNode.Parse(lines[0])!;
        Assert.Single(env["result"]!["redirects"]!.AsArray());

        // A body that is a list of records: its records are the items, then the envelope.
        using var list = new LoopbackServer(async (stream, ct) =>
        {
            if (await LoopbackServer.ReadRequestHeadAsync(stream, ct) is null) return;
            const string body = "[{\"id\":1},{\"id\":2}]";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), ct);
        });
        var items = Resh($"http://127.0.0.1:{list.Port}/users.get", "--format", "ndjson");
        Assert.Equal(0, items.ExitCode);
        var itemLines = items.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, itemLines.Length);
        Assert.Equal("{\"id\":1}", itemLines[0]);
        Assert.Equal("{\"id\":2}", itemLines[1]);
    }
}
