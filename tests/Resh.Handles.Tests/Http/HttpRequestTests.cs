using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Http;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>
/// The method verbs of http:// and https:// run by the native binary against the real Kestrel server of
/// <see cref="HttpBackend"/>: bodies and their decoding, redirects, statuses, retries, timeouts, HTTP/2.
/// </summary>
[Collection("http")]
public sealed class HttpRequestTests(HttpBackend server)
{
    static ReshRun Resh(params string[] args) => NetTestKit.Resh(args);

    [Fact]
    public void The_issue_health_call_returns_the_parsed_json_body_with_timings()
    {
        var r = Resh($"{server.Http}/health.get");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal(0, r.ExitCode);
        var res = r.Result!;
        Assert.Equal(200, res["status"]!.GetValue<int>());
        Assert.Equal("json", res["body_kind"]!.GetValue<string>());
        Assert.Equal("ok", res["body"]!["status"]!.GetValue<string>());
        Assert.Equal("1.1", res["http_version"]!.GetValue<string>());
        Assert.StartsWith("application/json", res["headers"]!["content-type"]!.GetValue<string>());
        var t = res["timings"]!;
        Assert.True(t["total_ms"]!.GetValue<double>() >= t["first_byte_ms"]!.GetValue<double>());
        Assert.True(t["first_byte_ms"]!.GetValue<double>() > 0);
        Assert.Equal(0, t["tls_ms"]!.GetValue<double>());
        Assert.False(r.Changed);
    }

    [Fact]
    public void The_verb_may_be_the_next_word_and_query_parameters_are_encoded()
    {
        var r = Resh($"{server.Http}/echo", "get", "query=q=a b&c", "query=page=2", "header=X-Trace: 7");
        Assert.True(r.Ok, r.ToString());
        var echo = r.Result!["body"]!;
        Assert.Equal("GET", echo["method"]!.GetValue<string>());
        Assert.Equal("?q=a%20b%26c&page=2", echo["query"]!.GetValue<string>());
        Assert.Equal("7", echo["headers"]!["x-trace"]!.GetValue<string>());
        Assert.Equal("resh", echo["headers"]!["user-agent"]!.GetValue<string>());
    }

    [Fact]
    public void Text_and_binary_bodies_come_back_as_text_and_base64()
    {
        var text = Resh($"{server.Http}/text.get");
        Assert.Equal("text", text.Result!["body_kind"]!.GetValue<string>());
        Assert.Equal(HttpBackend.Text, text.Result!["body"]!.GetValue<string>());
        var bin = Resh($"{server.Http}/binary.get");
        Assert.Equal("base64", bin.Result!["body_kind"]!.GetValue<string>());
        var bytes = Convert.FromBase64String(bin.Result!["body_base64"]!.GetValue<string>());
        Assert.Equal(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), bytes);
    }

    [Fact]
    public void Format_raw_prints_the_body_bytes_exactly_as_curl_does()
    {
        foreach (var path in new[] { "/binary", "/gzip", "/chunked", "/big.bin?size=3000000" })
        {
            var curl = NetTestKit.RunBytes("curl", "-s", "--compressed", server.Http + path);
            Assert.Equal(0, curl.Exit);
            var r = Resh($"{server.Http}{path}", "get", "--format", "raw");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(curl.Stdout.Length, r.StdoutBytes.Length);
            Assert.True(curl.Stdout.AsSpan().SequenceEqual(r.StdoutBytes), path);
        }
    }

    [Fact]
    public void Post_sends_the_json_body_and_is_marked_changed()
    {
        var r = Resh($"{server.Http}/api/items.post(json:={{\"name\":\"x\",\"n\":[1,2]}})");
        Assert.True(r.Ok, r.ToString());
        Assert.True(r.Changed);
        var echo = r.Result!["body"]!;
        Assert.Equal(201, r.Result!["status"]!.GetValue<int>());
        Assert.Equal("POST", echo["method"]!.GetValue<string>());
        Assert.Equal("application/json", echo["content_type"]!.GetValue<string>());
        Assert.Equal("x", echo["item"]!["name"]!.GetValue<string>());
        Assert.Equal(2, echo["item"]!["n"]![1]!.GetValue<int>());
    }

    [Fact]
    public void Form_fields_text_bodies_and_any_method_reach_the_server()
    {
        var form = Resh($"{server.Http}/echo", "post", "form=user=ann", "form=note=a&b c");
        Assert.Equal("user=ann&note=a%26b+c", form.Result!["body"]!["body"]!.GetValue<string>());
        Assert.StartsWith("application/x-www-form-urlencoded", form.Result!["body"]!["content_type"]!.GetValue<string>());

        var put = Resh($"{server.Http}/echo", "put", "body=plain words", "content_type=text/x-note");
        Assert.Equal("PUT", put.Result!["body"]!["method"]!.GetValue<string>());
        Assert.Equal("plain words", put.Result!["body"]!["body"]!.GetValue<string>());
        Assert.Equal("text/x-note", put.Result!["body"]!["content_type"]!.GetValue<string>());

        foreach (var (verb, method) in new[] { ("patch", "PATCH"), ("delete", "DELETE"), ("options", "OPTIONS") })
            Assert.Equal(method, Resh($"{server.Http}/echo", verb).Result!["body"]!["method"]!.GetValue<string>());
        Assert.Equal("PURGE", Resh($"{server.Http}/echo", "request", "method=purge").Result!["body"]!["method"]!.GetValue<string>());

        var head = Resh($"{server.Http}/text.head");
        Assert.True(head.Ok, head.ToString());
        Assert.Equal("none", head.Result!["body_kind"]!.GetValue<string>());
        Assert.Equal(HttpBackend.Text.Length.ToString(), head.Result!["headers"]!["content-length"]!.GetValue<string>());
    }

    [Fact]
    public void Body_from_a_file_is_streamed_byte_exact()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "payload.bin");
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        File.WriteAllBytes(path, data);
        var r = Resh($"{server.Http}/echo", "post", $"body=@{path}");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal(data.Length, r.Result!["body"]!["body_length"]!.GetValue<int>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), r.Result!["body"]!["body_sha256"]!.GetValue<string>());

        var stdin = ReshBinary.Run([$"{server.Http}/echo", "post", "body=@-"], stdinBytes: data);
        Assert.True(stdin.Ok, stdin.ToString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), stdin.Result!["body"]!["body_sha256"]!.GetValue<string>());

        var missing = Resh($"{server.Http}/echo", "post", $"body=@{tmp.Path}/nope");
        Assert.Equal("not_found", missing.ErrorCode);
    }

    [Fact]
    public void Upload_streams_a_file_as_the_body_or_as_a_multipart_field()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "cat.jpg");
        var data = RandomNumberGenerator.GetBytes(1024 * 1024);
        File.WriteAllBytes(path, data);
        var raw = Resh($"{server.Http}/echo", "upload", $"file={path}");
        Assert.True(raw.Ok, raw.ToString());
        Assert.Equal("PUT", raw.Result!["body"]!["method"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), raw.Result!["body"]!["body_sha256"]!.GetValue<string>());

        // A small file for the form, so the server echoes the whole multipart body back.
        File.WriteAllBytes(path, data.AsSpan(0, 20_000).ToArray());
        var form = Resh($"{server.Http}/echo", "upload", $"file={path}", "field=photo", "form=album=pets", "content_type=image/jpeg");
        Assert.True(form.Ok, form.ToString());
        var echo = form.Result!["body"]!;
        Assert.Equal("POST", echo["method"]!.GetValue<string>());
        Assert.StartsWith("multipart/form-data", echo["content_type"]!.GetValue<string>());
        Assert.True(echo["body_length"]!.GetValue<int>() > 20_000);
        var text = echo["body"]!.GetValue<string>();
        Assert.Contains("name=photo; filename=cat.jpg", text);
        Assert.Contains("name=album", text);
        Assert.Contains("pets", text);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("zstd")]
    [InlineData("deflate")]
    public void Compressed_responses_are_decoded(string encoding)
    {
        var r = Resh($"{server.Http}/{encoding}.get");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal(encoding, r.Result!["content_encoding"]!.GetValue<string>());
        var body = r.Result!["body"]!.GetValue<string>();
        Assert.Equal(string.Concat(Enumerable.Repeat(HttpBackend.Text, 200)), body);
        var off = Resh($"{server.Http}/{encoding}.get", "compressed=false");
        Assert.Null(off.Result!["content_encoding"]);
        Assert.Equal(body, off.Result!["body"]!.GetValue<string>());
    }

    [Fact]
    public void Chunked_bodies_are_read_whole_and_large_ones_are_bounded_by_max_body()
    {
        var chunked = Resh($"{server.Http}/chunked.get");
        Assert.Equal(string.Concat(Enumerable.Range(0, 20).Select(i => $"chunk {i}\n")), chunked.Result!["body"]!.GetValue<string>());
        Assert.False(chunked.Result!["truncated"]!.GetValue<bool>());

        var big = Resh($"{server.Http}/big.bin?size=5000000", "get", "max_body=64KiB");
        Assert.True(big.Ok, big.ToString());
        Assert.True(big.Result!["truncated"]!.GetValue<bool>());
        Assert.Equal(65536, big.Result!["body_bytes"]!.GetValue<long>());
        var expected = new byte[65536];
        HttpBackend.Fill(expected, 0);
        Assert.Equal(expected, Convert.FromBase64String(big.Result!["body_base64"]!.GetValue<string>()));
        Assert.Contains(big.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("max_body"));
    }

    [Fact]
    public void Redirects_are_followed_and_recorded_within_the_limit()
    {
        var target = Uri.EscapeDataString($"{server.Http}/text");
        var hop = Uri.EscapeDataString($"{server.Http}/redirect-to?status=301&url={target}");
        var r = Resh($"{server.Http}/redirect-to?url={hop}", "get");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal($"{server.Http}/text", r.Result!["url"]!.GetValue<string>());
        var chain = r.Result!["redirects"]!.AsArray();
        Assert.Equal(2, chain.Count);
        Assert.Equal(302, chain[0]!["status"]!.GetValue<int>());
        Assert.Equal(301, chain[1]!["status"]!.GetValue<int>());

        var limited = Resh($"{server.Http}/redirect-to?url={hop}", "get", "max_redirects=1");
        Assert.Equal("failed", limited.ErrorCode);
        Assert.Equal(1, limited.ExitCode);

        var notFollowed = Resh($"{server.Http}/redirect-to?url={hop}", "get", "follow=false");
        Assert.True(notFollowed.Ok, notFollowed.ToString());
        Assert.Equal(302, notFollowed.Result!["status"]!.GetValue<int>());

        // 303 turns a POST into a GET; 307 keeps the method and the body.
        var see = Resh($"{server.Http}/redirect-to?status=303&url=%2Fecho", "post", "body=abc");
        Assert.Equal("GET", see.Result!["body"]!["method"]!.GetValue<string>());
        var keep = Resh($"{server.Http}/redirect-to?status=307&url=%2Fecho", "post", "body=abc");
        Assert.Equal("POST", keep.Result!["body"]!["method"]!.GetValue<string>());
        Assert.Equal("abc", keep.Result!["body"]!["body"]!.GetValue<string>());
    }

    [Fact]
    public void A_redirect_to_another_scheme_is_refused()
    {
        var r = Resh($"{server.Http}/redirect-to?url=file%3A%2F%2F%2Fetc%2Fshadow", "get");
        Assert.Equal("failed", r.ErrorCode);
        Assert.Contains("file", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain("root:", r.Stdout);
    }

    [Fact]
    public void A_4xx_or_5xx_is_failed_with_status_and_excerpt_unless_expected()
    {
        var r = Resh($"{server.Http}/status?code=503", "get");
        Assert.Equal("failed", r.ErrorCode);
        Assert.Equal(1, r.ExitCode);
        var details = r.Envelope["error"]!["details"]!;
        Assert.Equal(503, details["status"]!.GetValue<int>());
        Assert.Equal("status 503 body", details["body_excerpt"]!.GetValue<string>());
        Assert.Contains("expect=503", r.Envelope["error"]!["hint"]!.GetValue<string>());

        var missing = Resh($"{server.Http}/nowhere.get");
        Assert.Equal("failed", missing.ErrorCode);
        Assert.Equal(404, missing.Envelope["error"]!["details"]!["status"]!.GetValue<int>());

        var expected = Resh($"{server.Http}/status?code=404", "get", "expect=200,404");
        Assert.True(expected.Ok, expected.ToString());
        Assert.Equal(404, expected.Result!["status"]!.GetValue<int>());
        Assert.True(Resh($"{server.Http}/status?code=418", "get", "expect=4xx").Ok);
        Assert.Equal("failed", Resh($"{server.Http}/health", "get", "expect=204").ErrorCode);
    }

    [Fact]
    public void Idempotent_requests_are_retried_and_posts_are_not()
    {
        var key = Guid.NewGuid().ToString("N");
        var r = Resh($"{server.Http}/flaky?key={key}&fail=2", "get", "retries=3", "retry_backoff=10ms");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal(3, r.Result!["attempts"]!.GetValue<int>());
        Assert.Equal("ok after 3", r.Result!["body"]!.GetValue<string>());

        var few = Resh($"{server.Http}/flaky?key={key}x&fail=5", "get", "retries=1", "retry_backoff=10ms");
        Assert.Equal("failed", few.ErrorCode);
        Assert.Equal(503, few.Envelope["error"]!["details"]!["status"]!.GetValue<int>());

        var postKey = Guid.NewGuid().ToString("N");
        var post = Resh($"{server.Http}/flaky?key={postKey}&fail=2", "post", "body=x", "retries=3", "retry_backoff=10ms");
        Assert.Equal("failed", post.ErrorCode);
        Assert.Equal("1", Resh($"{server.Http}/hits?key=flaky:{postKey}", "get").Result!["body"]!.ToString());
    }

    [Fact]
    public void A_slow_server_times_out_with_the_timeout_code()
    {
        var r = Resh($"{server.Http}/slow?ms=5000", "get", "timeout=300ms");
        Assert.Equal("timeout", r.ErrorCode);
        Assert.Equal(6, r.ExitCode);
        Assert.True(Resh($"{server.Http}/slow?ms=100", "get", "timeout=5s").Ok);
    }

    [Fact]
    public void A_closed_port_is_unavailable()
    {
        var port = NetTestKit.FreePort();
        var r = Resh($"http://127.0.0.1:{port}/x.get");
        Assert.Equal("unavailable", r.ErrorCode);
        Assert.Equal(7, r.ExitCode);
        Assert.Contains("connection refused", r.Envelope["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void Http2_is_used_with_prior_knowledge_on_h2c()
    {
        var r = Resh($"http://127.0.0.1:{server.H2c}/echo", "get", "http_version=2");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("2", r.Result!["http_version"]!.GetValue<string>());
        Assert.Equal("HTTP/2", r.Result!["body"]!["protocol"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("header=X-A: b\r\nX-Injected: 1")]
    [InlineData("header=Bad Name: v")]
    [InlineData("header=novalue")]
    [InlineData("headers:=[1]")]
    [InlineData("method=GE T")]
    public void Hostile_headers_and_methods_are_usage_errors_and_nothing_is_sent(string arg)
    {
        var key = Guid.NewGuid().ToString("N");
        var verb = arg.StartsWith("method=") ? "request" : "get";
        var r = Resh($"{server.Http}/flaky?key={key}&fail=0", verb, arg);
        Assert.Equal("usage", r.ErrorCode);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("0", Resh($"{server.Http}/hits?key=flaky:{key}", "get").Result!["body"]!.ToString());
    }

    [Theory]
    [InlineData("127.0.0.1:1/a b.get")]
    [InlineData(":::/x.get")]
    [InlineData("user:pw@127.0.0.1/x.get")]
    public void Malformed_urls_are_usage_errors(string target)
    {
        var r = Resh("http://" + target);
        Assert.Equal("usage", r.ErrorCode);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Dry_run_does_not_send_a_post()
    {
        var key = Guid.NewGuid().ToString("N");
        var r = Resh($"{server.Http}/flaky?key={key}&fail=0", "post", "body=x", "--dry-run");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("0", Resh($"{server.Http}/hits?key=flaky:{key}", "get").Result!["body"]!.ToString());
    }

    [Fact]
    public void Output_writes_the_body_to_a_file_and_nobody_cannot_write_where_it_may_not()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "page.txt");
        var r = Resh($"{server.Http}/gzip", "get", $"output={path}");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("file", r.Result!["body_kind"]!.GetValue<string>());
        Assert.Equal(string.Concat(Enumerable.Repeat(HttpBackend.Text, 200)), File.ReadAllText(path));

        // As nobody: the request works, but a root-owned directory stays untouched.
        var asNobody = NetTestKit.AsNobody($"{server.Http}/health.get");
        Assert.True(asNobody.Ok, asNobody.ToString());
        var denied = NetTestKit.AsNobody($"{server.Http}/text", "get", $"output={tmp.Path}/nobody.txt");
        Assert.Equal("permission_denied", denied.ErrorCode);
        Assert.Equal(new[] { "page.txt" }, Directory.GetFiles(tmp.Path).Select(p => Path.GetFileName(p)).ToArray());
    }

    [Fact]
    public void Batch_reuses_one_pooled_connection_across_requests()
    {
        var input = string.Concat(Enumerable.Range(1, 5).Select(i =>
            $"{{\"id\":{i},\"stage\":\"{server.Https}/health\",\"verb\":\"get\",\"args\":{{\"ca\":\"{server.CaPem}\"}}}}\n"));
        var run = ReshBinary.Run(["batch"], stdin: input);
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(5, lines.Count);
        Assert.All(lines, l => Assert.True(l["ok"]!.GetValue<bool>(), l.ToJsonString()));
        Assert.False(lines[0]["result"]!["connection_reused"]!.GetValue<bool>());
        Assert.True(lines[0]["result"]!["timings"]!["tls_ms"]!.GetValue<double>() > 0);
        foreach (var l in lines.Skip(1))
        {
            Assert.True(l["result"]!["connection_reused"]!.GetValue<bool>(), l.ToJsonString());
            Assert.Equal(0, l["result"]!["timings"]!["tls_ms"]!.GetValue<double>());
        }
    }
}
