using Resh.Core.Text;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Execution;
using Resh.Surfaces.Mcp;
using Xunit;

namespace Resh.Core.Tests.Surfaces;

/// <summary>The JSON-RPC framing of `resh mcp` in process: parsing, writing, line splitting, and the policy's globs.</summary>
public sealed class McpJsonRpcTests
{
    static JsonRpcMessage Parse(string s) => JsonRpcMessage.Parse(Encoding.UTF8.GetBytes(s));

    static int CodeOf(string s) => Assert.Throws<JsonRpcException>(() => Parse(s)).Code;

    [Fact]
    public void Requests_notifications_and_responses_are_told_apart()
    {
        var r = Parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\",\"params\":{\"cursor\":\"x\"}}");
        Assert.Equal(JsonRpcKind.Request, r.Kind);
        Assert.Equal("7", r.IdKey);
        Assert.Equal("x", r.Params["cursor"]!.GetValue<string>());
        var s = Parse("{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"method\":\"ping\"}");
        Assert.Equal("\"7\"", s.IdKey); // "7" and 7 are different ids
        Assert.Empty(s.Params);
        Assert.Equal(JsonRpcKind.Notification, Parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").Kind);
        var resp = Parse("{\"jsonrpc\":\"2.0\",\"id\":\"resh-1\",\"result\":{\"action\":\"accept\"}}");
        Assert.Equal(JsonRpcKind.Response, resp.Kind);
        Assert.Equal("accept", resp.Result!["action"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("", -32700)]
    [InlineData("{", -32700)]
    [InlineData("nul", -32700)]
    [InlineData("[]", -32600)]
    [InlineData("42", -32600)]
    [InlineData("{\"id\":1,\"method\":\"ping\"}", -32600)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", -32600)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", -32600)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", -32600)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[1]}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1}", -32600)]
    public void Bad_messages_get_the_json_rpc_error_code(string text, int code) => Assert.Equal(code, CodeOf(text));

    [Fact]
    public void The_request_id_is_kept_in_errors_after_it_was_read()
    {
        var ex = Assert.Throws<JsonRpcException>(() => Parse("{\"jsonrpc\":\"1.0\",\"id\":\"abc\",\"method\":\"ping\"}"));
        Assert.Equal("abc", ex.Id!.GetValue<string>());
    }

    [Fact]
    public void Writer_makes_one_line_messages_with_ids_as_sent()
    {
        var text = Encoding.UTF8.GetString(JsonRpcWriter.Error(null, -32700, "Parse error: x\ny"));
        Assert.DoesNotContain('\n', text);
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error: x\\ny\"}}", text);
        var ok = JsonNode.Parse(JsonRpcWriter.Result(JsonValue.Create("a"), new JsonObject { ["x"] = 1 }))!;
        Assert.Equal("a", ok["id"]!.GetValue<string>());
        Assert.Equal(1, ok["result"]!["x"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("svc.*", "svc.restart", true)]
    [InlineData("svc.*", "svc.is-active", true)]
    [InlineData("file.read", "file.readlink", false)]
    [InlineData("file.*", "file.lines.ensure", true)]
    [InlineData("file:///var/log/*", "file:///var/log/syslog", true)]
    [InlineData("file:///var/log/*", "file:///var/log/nginx/access.log", false)]
    [InlineData("file:///var/log/**", "file:///var/log/nginx/access.log", true)]
    [InlineData("file:///etc/?osts", "file:///etc/hosts", true)]
    [InlineData("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    public void Globs_match_like_a_shell(string pattern, string text, bool expected) => Assert.Equal(expected, Glob.Matches(pattern, text));

    [Fact]
    public void Patterns_split_the_verb_from_the_target()
    {
        var p = McpPolicy.Pattern.Parse("file.read:file:///var/log/**");
        Assert.Equal("file.read", p.Verb);
        Assert.Equal("file:///var/log/**", p.Target);
        Assert.Equal("svc.*", McpPolicy.Pattern.Parse("svc").Verb);
        Assert.Throws<Resh.Core.Errors.ReshException>(() => McpPolicy.Pattern.Parse("svc://nginx"));
        Assert.Throws<Resh.Core.Errors.ReshException>(() => McpPolicy.Pattern.Parse("  "));
    }

    [Theory]
    [InlineData("file", "read", "file_read")]
    [InlineData("file", "lines.ensure", "file_lines_ensure")]
    [InlineData("svc", "is-active", "svc_is_active")]
    [InlineData("cert", "acme.issue", "cert_acme_issue")]
    public void Tool_names_join_scheme_and_verb(string scheme, string verb, string name) => Assert.Equal(name, McpTool.NameOf(scheme, verb));

    [Fact]
    public async Task Stdio_lines_are_split_across_reads_and_answered_in_order()
    {
        var input = "\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n\n   \n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}\n{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}";
        var stdin = new TrickleStream(Encoding.UTF8.GetBytes(input), 7);
        var stdout = new MemoryStream();
        var transport = new StdioTransport(stdin, stdout);
        var runtime = new ReshRuntime(ReshPaths.FromEnvironment(), null, false, false, TextWriter.Null, false, false);
        var session = new McpSession(new McpServerInfo(Resh.Cli.HandleCatalog.Build(), runtime, new McpPolicy(), "test"), transport);
        await transport.RunAsync(session, CancellationToken.None);
        await session.CloseAsync(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));
        var lines = Encoding.UTF8.GetString(stdout.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([1, 2, 3], lines.Select(l => l["id"]!.GetValue<int>()));
        Assert.Equal("2025-06-18", lines[1]["result"]!["protocolVersion"]!.GetValue<string>());
    }

    /// <summary>A stream that hands out at most n bytes per read, so lines arrive in pieces.</summary>
    sealed class TrickleStream(byte[] data, int n) : Stream
    {
        int _pos;
        public override int Read(byte[] buffer, int offset, int count)
        {
            var k = Math.Min(Math.Min(n, count), data.Length - _pos);
            Array.Copy(data, _pos, buffer, offset, k);
            _pos += k;
            return k;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
