using System.Text.Json.Nodes;
using Xunit;

namespace Resh.Cli.Tests.Mcp;

/// <summary>
/// Endpoint targets meet patterns in their canonical spelling (inet_aton forms, case, trailing dot, userinfo,
/// IPv6), and a call with `host` meets the patterns that name all of ssh, as ssh://HOST.
/// </summary>
public sealed class McpEndpointPatternTests
{
    static JsonObject Call(McpProcess mcp, int id, string tool, JsonObject arguments) => mcp.CallTool(id, tool, arguments);

    static JsonNode Listed(McpProcess mcp, string tool)
    {
        string? cursor = null;
        for (int page = 0; page < 20; page++)
        {
            var r = mcp.Request(100 + page, "tools/list", cursor is null ? null : new JsonObject { ["cursor"] = cursor })["result"]!;
            if (r["tools"]!.AsArray().FirstOrDefault(t => t!["name"]!.GetValue<string>() == tool) is { } found) return found;
            cursor = r["nextCursor"]?.GetValue<string>();
            if (cursor is null) break;
        }
        throw new Xunit.Sdk.XunitException($"{tool} is not listed.");
    }

    static string? Code(JsonObject env) => McpProcess.Code(env);

    static void AssertRefused(JsonObject env, string what)
    {
        Assert.True(Code(env) == "permission_denied", $"{what}: {env.ToJsonString()}");
        Assert.NotNull(env["error"]!["hint"]);
    }

    // Port 9 (discard) on loopback: nothing listens, so a call that is let through fails fast with a network error.
    static readonly string[] Spellings =
    [
        "cache://127.1:9/", "cache://LOCALHOST:9/", "cache://localhost.:9/", "cache://2130706433:9/", "cache://x@127.0.0.1:9/",
        "cache://user:pw@127.0.0.1:9/", "cache://0x7f.1:9/", "cache://0177.0.0.1:9/", "cache://0x7f000001:9/",
        "cache://[::ffff:127.0.0.1]:9/", "cache://127.0.0.1:09/", "cache://127.0.0.1:9",
    ];

    [Fact]
    public void A_denied_endpoint_cannot_be_reached_through_another_spelling()
    {
        foreach (var pattern in new[] { "cache.*:cache://127.0.0.1**", "cache.*:cache://127.0.0.1*", "cache.*:cache://localhost:9*" })
        {
            using var mcp = new McpProcess("--deny", pattern);
            mcp.Initialize();
            var id = 1;
            foreach (var target in Spellings)
                AssertRefused(Call(mcp, id++, "cache_ping", new JsonObject { ["target"] = target }), pattern + " " + target);
            // Every address of 127.0.0.0/8 and an IPv6 zone id reach the same loopback: denied too.
            foreach (var target in new[] { "cache://127.0.0.2:9/", "cache://127.255.0.1:9/", "cache://[::1%lo]:9/", "cache://[::1%25lo]:9/" })
                AssertRefused(Call(mcp, id++, "cache_ping", new JsonObject { ["target"] = target }), pattern + " " + target);
            // Another port is not denied by a pattern that names one: the call runs and fails on the network.
            if (pattern.EndsWith(":9*", StringComparison.Ordinal))
                Assert.NotEqual("permission_denied", Code(Call(mcp, id++, "cache_ping", new JsonObject { ["target"] = "cache://127.0.0.1:10/" })));
            Assert.Equal(0, mcp.CloseAndWait());
        }
    }

    [Fact]
    public void An_allowed_endpoint_is_granted_in_any_spelling_and_nothing_else()
    {
        using var mcp = new McpProcess("--allow", "cache.*:cache://127.0.0.1:9*");
        mcp.Initialize();
        var id = 1;
        foreach (var target in new[] { "cache://127.1:9/", "cache://0x7f.0.0.1:9/", "cache://x@127.0.0.1:9/" })
            Assert.NotEqual("permission_denied", Code(Call(mcp, id++, "cache_ping", new JsonObject { ["target"] = target })));
        foreach (var target in new[] { "cache://127.0.0.2:9/", "cache://127.0.0.1.evil:9/", "cache://localhost:9/" })
            AssertRefused(Call(mcp, id++, "cache_ping", new JsonObject { ["target"] = target }), target);
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void A_call_with_host_meets_the_ssh_patterns()
    {
        static JsonObject Local() => new() { ["target"] = "file:///etc/hostname" };
        static JsonObject On(string host) { var a = Local(); a["host"] = host; return a; }

        foreach (var deny in new[] { "ssh", "ssh.*" })
        {
            using var mcp = new McpProcess("--deny", deny);
            mcp.Initialize();
            var env = Call(mcp, 1, "file_read", On("127.0.0.1:9"));
            AssertRefused(env, deny);
            Assert.Contains("host", env["error"]!["message"]!.GetValue<string>());
            Assert.True(Call(mcp, 2, "file_read", Local())["ok"]!.GetValue<bool>()); // on this machine it still runs
            Assert.Null(Listed(mcp, "file_read")["inputSchema"]!["properties"]!["host"]); // not offered where every host is refused
            Assert.Equal(0, mcp.CloseAndWait());
        }

        using (var mcp = new McpProcess("--deny", "ssh.*:ssh://127.0.0.2*"))
        {
            mcp.Initialize();
            var id = 1;
            foreach (var host in new[] { "127.0.0.2:9", "root@127.0.0.2:9", "0x7f000002:9", "127.0.0.1:9,127.0.0.2:9", "127.0.0.[1:2]:9", "@db" })
                AssertRefused(Call(mcp, id++, "file_read", On(host)), host);
            Assert.NotEqual("permission_denied", Code(Call(mcp, id++, "file_read", On("127.0.0.1:9"))));
            Assert.Equal(0, mcp.CloseAndWait());
        }

        using (var mcp = new McpProcess("--allow", "file.read", "--allow", "ssh.*:ssh://127.0.0.1:9", "--allow", "ssh.*:ssh://@web"))
        {
            mcp.Initialize();
            Assert.NotEqual("permission_denied", Code(Call(mcp, 1, "file_read", On("127.1:9"))));
            Assert.NotEqual("permission_denied", Code(Call(mcp, 2, "file_read", On("@web")))); // named literally
            Assert.NotNull(Listed(mcp, "file_read")["inputSchema"]!["properties"]!["host"]);
            foreach (var host in new[] { "127.0.0.2:9", "127.0.0.1:9,127.0.0.2:9", "@db", "127.0.0.[1:3]:9" })
                AssertRefused(Call(mcp, 3, "file_read", On(host)), host);
            Assert.Equal(0, mcp.CloseAndWait());
        }

        // --allow without any ssh pattern grants no hosts.
        using (var mcp = new McpProcess("--allow", "file.read"))
        {
            mcp.Initialize();
            AssertRefused(Call(mcp, 1, "file_read", On("127.0.0.1:9")), "no ssh allow");
            Assert.True(Call(mcp, 2, "file_read", Local())["ok"]!.GetValue<bool>());
            Assert.Equal(0, mcp.CloseAndWait());
        }
    }
}
