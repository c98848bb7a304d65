using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Cli.Tests.Mcp;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>What an MCP client must not get past the operator's flags: writes under --read-only, the server's secrets, unconfirmed kills.</summary>
public sealed class McpHardeningTests
{
    static JsonObject Call(McpProcess mcp, int id, string tool, JsonObject args) =>
        (JsonObject)mcp.Request(id, "tools/call", new JsonObject { ["name"] = tool, ["arguments"] = args })["result"]!["structuredContent"]!;

    static string Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>() ?? "ok";

    [Fact]
    public void Read_only_refuses_read_verbs_arguments_that_write_and_ssh_tunnel()
    {
        using var dir = new TempDir();
        var victim = dir.File("victim.txt", "keep\n");
        using var mcp = new McpProcess("--read-only");
        mcp.Initialize();
        var get = Call(mcp, 1, "http_get", new JsonObject { ["target"] = "http://127.0.0.1:9/", ["output"] = victim });
        Assert.Equal("permission_denied", Code(get));
        Assert.Equal("keep\n", File.ReadAllText(victim));
        var fetch = Call(mcp, 2, "mail_fetch", new JsonObject { ["target"] = "mail://127.0.0.1:9/INBOX", ["dir"] = dir.Path, ["overwrite"] = true });
        Assert.Equal("permission_denied", Code(fetch));
        var save = Call(mcp, 3, "firewall_save", new JsonObject { ["path"] = victim });
        Assert.Equal("permission_denied", Code(save));
        Assert.Equal("keep\n", File.ReadAllText(victim));
        var tunnel = Call(mcp, 4, "ssh_tunnel", new JsonObject { ["target"] = "ssh://127.0.0.1:9", ["remote"] = "127.0.0.1:22", ["bind"] = "0.0.0.0" });
        Assert.Equal("permission_denied", Code(tunnel));
        Assert.Equal(0, mcp.CloseAndWait());
    }

    /// <summary>Read verbs' arguments named like a write must be hidden under --read-only, or reviewed here as reads.</summary>
    static readonly string[] ReviewedReads =
    [
        "net_route_get.from", "cron_next.from", "snapshot_diff.from", "snapshot_diff.to", "pkg_owner.path", "system_disk.path",
        "system_users.file", "ssh_keys_list.file", "config_diff.other",
        "mail_search.from", "mail_search.to", "mail_count.from", "mail_count.to", // message filters, not paths
        "mail_fetch.overwrite", // only with dir=, which --read-only refuses
        // These read files the caller names (declared PathUse.Read): they meet the target patterns (Mcp/McpPathArgumentTests).
        "dns_zone_list.key_file", "secret_get.dir", "secret_exists.dir", "secret_list.dir", "secret_versions.dir",
        "event_follow.from", // end or start of the trail, not a path
        "log_read.directory", "log_search.directory", "log_parse.directory", "log_stats.directory", "log_follow.directory", // journalctl -D
        "backup_ls.path", // a path inside the snapshot, listed, not a local path
        "backup_diff.from", "backup_diff.to", "git_diff.from", "git_diff.to", // snapshot ids and revisions, not paths
    ];

    [Fact]
    public void Read_only_lists_no_argument_named_like_a_write_unless_reviewed()
    {
        using var mcp = new McpProcess("--read-only");
        mcp.Initialize();
        var names = new List<string>();
        var unreviewed = new List<string>();
        string? cursor = null;
        for (int page = 0; page < 20; page++)
        {
            var r = mcp.Request(page + 1, "tools/list", cursor is null ? null : new JsonObject { ["cursor"] = cursor })["result"]!;
            foreach (var t in r["tools"]!.AsArray())
            {
                var name = t!["name"]!.GetValue<string>();
                names.Add(name);
                foreach (var (arg, _) in t["inputSchema"]!["properties"]!.AsObject())
                    if (arg is "output" or "out" or "dir" or "directory" or "dest" or "destination" or "to" or "path" or "file" or "from" or "other"
                        or "overwrite" or "bind" or "listen" or "save" or "local_port" || arg.EndsWith("_path") || arg.EndsWith("_file") || arg.EndsWith("_dir"))
                        if (Array.IndexOf(ReviewedReads, name + "." + arg) < 0) unreviewed.Add(name + "." + arg);
            }
            cursor = r["nextCursor"]?.GetValue<string>();
            if (cursor is null) break;
        }
        Assert.Contains("http_get", names);
        Assert.DoesNotContain("ssh_tunnel", names);
        Assert.Empty(unreviewed);
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Theory]
    [InlineData("file")]
    [InlineData("env")]
    [InlineData("secret")]
    public void Secret_arguments_take_no_source_of_the_servers_over_mcp(string kind)
    {
        using var dir = new TempDir();
        var secretFile = dir.File("secret.txt", "s3cr3t-first-line\n");
        var source = kind switch { "file" => "file:" + secretFile, "env" => "env:HOME", _ => "secret:db/app" };
        using var mcp = new McpProcess("--read-only", "--allow", "cache.ping");
        mcp.Initialize();
        var env = Call(mcp, 1, "cache_ping", new JsonObject { ["target"] = "cache://127.0.0.1:9", ["password"] = source });
        Assert.Equal("permission_denied", Code(env));
        Assert.DoesNotContain("s3cr3t", env.ToJsonString());
        // A literal value is still taken (the ping then fails to connect, not on permissions).
        Assert.NotEqual("permission_denied", Code(Call(mcp, 2, "cache_ping", new JsonObject { ["target"] = "cache://127.0.0.1:9", ["password"] = "literal" })));
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void Allow_secret_lets_a_named_store_secret_through_and_inventory_is_refused()
    {
        using var mcp = new McpProcess("--allow-secret", "db/*");
        mcp.Initialize();
        Assert.NotEqual("permission_denied", Code(Call(mcp, 1, "cache_ping", new JsonObject { ["target"] = "cache://127.0.0.1:9", ["password"] = "secret:db/app" })));
        Assert.Equal("permission_denied", Code(Call(mcp, 2, "cache_ping", new JsonObject { ["target"] = "cache://127.0.0.1:9", ["password"] = "secret:other" })));
        var inv = Call(mcp, 3, "ssh_test", new JsonObject { ["target"] = "ssh://web01", ["inventory"] = "/etc/passwd" });
        Assert.Equal("permission_denied", Code(inv));
        Assert.DoesNotContain("root:", inv.ToJsonString());
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void Proc_signal_kill_needs_the_destructive_confirmation()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            using var mcp = new McpProcess();
            mcp.Initialize(); // no elicitation capability: a destructive call is refused
            var env = Call(mcp, 1, "proc_signal", new JsonObject { ["target"] = "proc://" + sleeper.Id, ["signal"] = "KILL" });
            Assert.Equal("permission_denied", Code(env));
            Assert.False(sleeper.WaitForExit(300));
            Assert.Equal("permission_denied", Code(Call(mcp, 2, "cert_revoke", new JsonObject { ["target"] = "cert:///nonexistent/ca" })));
            Assert.Equal(0, mcp.CloseAndWait());
        }
        finally
        {
            if (!sleeper.HasExited) sleeper.Kill();
        }
    }
}
