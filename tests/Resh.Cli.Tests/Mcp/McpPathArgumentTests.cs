using System.Text.Json.Nodes;
using Xunit;

namespace Resh.Cli.Tests.Mcp;

/// <summary>
/// A verb's second path (file.copy `to`, config.diff `other`, file.symlink `to`, http.get `output`) is as much the
/// call's target as the first: it meets the same --allow/--deny patterns in every spelling, and --read-only takes
/// away the ones a read verb would write.
/// </summary>
public sealed class McpPathArgumentTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("resh-mcp-patharg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static JsonObject Call(McpProcess mcp, int id, string tool, JsonObject arguments) => mcp.CallTool(id, tool, arguments);

    static string? Code(JsonObject env) => McpProcess.Code(env);

    static void AssertRefused(JsonObject env, string argName, string what)
    {
        Assert.True(Code(env) == "permission_denied", $"{what}: {env.ToJsonString()}");
        Assert.Contains($"`{argName}`", env["error"]!["message"]!.GetValue<string>());
        Assert.NotNull(env["error"]!["hint"]);
    }

    [Fact]
    public void A_copy_cannot_overwrite_a_denied_file_through_its_destination()
    {
        var pub = Directory.CreateDirectory(Path.Combine(_dir, "pub")).FullName;
        var victim = Directory.CreateDirectory(Path.Combine(_dir, "victim")).FullName;
        var evil = Path.Combine(pub, "evil");
        File.WriteAllText(evil, "evil\n");
        var target = Path.Combine(victim, "target");
        File.WriteAllText(target, "precious\n");
        File.CreateSymbolicLink(Path.Combine(pub, "link"), victim);

        using var mcp = new McpProcess("--deny", $"file.*:file://{victim}/**");
        mcp.Initialize();
        string[] spellings =
        [
            target,
            pub + "/../victim/target",
            pub + "/link/target",
            "file://" + target,
            "file://" + pub + "/%2e%2e/victim/target",
            Path.GetRelativePath(Environment.CurrentDirectory, target),
            victim + "//./target",
        ];
        var id = 1;
        foreach (var to in spellings)
            AssertRefused(Call(mcp, id++, "file_copy", new JsonObject { ["target"] = "file://" + evil, ["to"] = to, ["overwrite"] = "always" }), "to", to);
        AssertRefused(Call(mcp, id++, "file_move", new JsonObject { ["target"] = "file://" + evil, ["to"] = pub + "/link/target" }), "to", "move");
        Assert.Equal("precious\n", File.ReadAllText(target));
        Assert.True(File.Exists(evil));

        // file.copy reads its source from a checked descriptor and writes through the destination's checked directory,
        // so it goes to a destination the pattern does not name; so does a move.
        var env = Call(mcp, id++, "file_copy", new JsonObject { ["target"] = "file://" + evil, ["to"] = pub + "/copy" });
        Assert.True(env["ok"]!.GetValue<bool>(), env.ToJsonString());
        Assert.Equal("evil\n", File.ReadAllText(Path.Combine(pub, "copy")));
        env = Call(mcp, id++, "file_move", new JsonObject { ["target"] = "file://" + evil, ["to"] = pub + "/moved" });
        Assert.True(env["ok"]!.GetValue<bool>(), env.ToJsonString());
        Assert.Equal("evil\n", File.ReadAllText(Path.Combine(pub, "moved")));
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void A_post_body_from_a_file_meets_the_patterns_and_the_servers_own_stdin_is_refused()
    {
        // s37 attacker #1c: body=@FILE was no declared path, so any file the server could read was sent.
        var pub = Directory.CreateDirectory(Path.Combine(_dir, "pub")).FullName;
        var shadow = Path.Combine(_dir, "shadow");
        File.WriteAllText(shadow, "root:$6$hash-that-must-not-leak\n");
        File.WriteAllText(Path.Combine(pub, "payload"), "ok\n");
        File.CreateSymbolicLink(Path.Combine(pub, "escape"), shadow);
        using var mcp = new McpProcess("--allow", "http.*:http://127.0.0.1:9*", "--allow", $"http.*:file://{pub}/**");
        mcp.Initialize();
        var id = 1;
        foreach (var body in new[] { "@" + shadow, "@" + pub + "/../shadow", "@" + pub + "/escape" })
        {
            var env = Call(mcp, id++, "http_post", new JsonObject { ["target"] = "http://127.0.0.1:9/", ["body"] = body });
            AssertRefused(env, "body", body);
            Assert.DoesNotContain("must-not-leak", env.ToJsonString());
        }
        var stdin = Call(mcp, id++, "http_put", new JsonObject { ["target"] = "http://127.0.0.1:9/", ["body"] = "@-" });
        AssertRefused(stdin, "body", "@-");
        Assert.Contains("standard input", stdin["error"]!["message"]!.GetValue<string>());
        // Text is data, and a file the patterns grant is sent (port 9 refuses the connection: not a permission error).
        Assert.NotEqual("permission_denied", Code(Call(mcp, id++, "http_post", new JsonObject { ["target"] = "http://127.0.0.1:9/", ["body"] = "hello" })));
        Assert.NotEqual("permission_denied", Code(Call(mcp, id++, "http_post", new JsonObject { ["target"] = "http://127.0.0.1:9/", ["body"] = "@" + pub + "/payload" })));
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void A_relative_symlink_target_is_checked_from_the_links_directory()
    {
        var pub = Directory.CreateDirectory(Path.Combine(_dir, "pub")).FullName;
        var victim = Directory.CreateDirectory(Path.Combine(_dir, "victim")).FullName;
        File.WriteAllText(Path.Combine(victim, "target"), "precious\n");

        using var mcp = new McpProcess("--deny", $"file.*:file://{victim}/**");
        mcp.Initialize();
        var link = Path.Combine(pub, "l");
        AssertRefused(Call(mcp, 1, "file_symlink", new JsonObject { ["target"] = "file://" + link, ["to"] = "../victim/target" }), "to", "relative");
        AssertRefused(Call(mcp, 2, "file_symlink", new JsonObject { ["target"] = "file://" + link, ["to"] = victim + "/target" }), "to", "absolute");
        Assert.Null(new FileInfo(link).LinkTarget);

        var env = Call(mcp, 3, "file_symlink", new JsonObject { ["target"] = "file://" + link, ["to"] = "elsewhere" });
        Assert.True(env["ok"]!.GetValue<bool>(), env.ToJsonString());
        Assert.Equal("elsewhere", new FileInfo(link).LinkTarget);
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void A_diff_compares_only_with_files_the_allow_patterns_grant()
    {
        var pub = Directory.CreateDirectory(Path.Combine(_dir, "pub")).FullName;
        var secret = Directory.CreateDirectory(Path.Combine(_dir, "secret")).FullName;
        File.WriteAllText(Path.Combine(pub, "c.json"), "{\"a\": 1}\n");
        File.WriteAllText(Path.Combine(pub, "d.json"), "{\"a\": 2}\n");
        var shadow = Path.Combine(secret, "shadow.json");
        File.WriteAllText(shadow, "{\"root\": \"$6$hash-that-must-not-leak\"}\n");
        File.CreateSymbolicLink(Path.Combine(pub, "escape.json"), shadow);

        using var mcp = new McpProcess("--read-only", "--allow", $"config.*:config://{pub}/**");
        mcp.Initialize();
        var id = 1;
        foreach (var other in new[] { shadow, pub + "/../secret/shadow.json", pub + "/escape.json", "file://" + shadow })
        {
            var env = Call(mcp, id++, "config_diff", new JsonObject { ["target"] = $"config://{pub}/c.json", ["other"] = other });
            AssertRefused(env, "other", other);
            Assert.DoesNotContain("must-not-leak", env.ToJsonString());
        }
        AssertRefused(Call(mcp, id++, "config_validate", new JsonObject { ["target"] = $"config://{pub}/c.json", ["schema"] = shadow }), "schema", "schema");

        var ok = Call(mcp, id++, "config_diff", new JsonObject { ["target"] = $"config://{pub}/c.json", ["other"] = pub + "/./d.json" });
        Assert.True(ok["ok"]!.GetValue<bool>(), ok.ToJsonString());
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void A_second_path_meets_the_tools_target_patterns_and_read_only_hides_what_read_verbs_write()
    {
        var pub = Directory.CreateDirectory(Path.Combine(_dir, "pub")).FullName;
        var victim = Path.Combine(_dir, "victim.txt");
        File.WriteAllText(victim, "keep\n");

        // http.get is granted on one endpoint: its output= must also be granted, as file:///PATH (a URL pattern grants no file).
        using (var mcp = new McpProcess("--allow", "http.get:http://127.0.0.1:9*", "--allow", $"http.get:file://{pub}/**"))
        {
            mcp.Initialize();
            AssertRefused(Call(mcp, 1, "http_get", new JsonObject { ["target"] = "http://127.0.0.1:9/", ["output"] = victim }), "output", "outside");
            var inside = Call(mcp, 2, "http_get", new JsonObject { ["target"] = "http://127.0.0.1:9/", ["output"] = pub + "/body" });
            Assert.NotEqual("permission_denied", Code(inside));
            Assert.Equal(0, mcp.CloseAndWait());
        }
        Assert.Equal("keep\n", File.ReadAllText(victim));

        // The declaration is in the schema, and --read-only hides the write paths of read verbs.
        using var ro = new McpProcess("--read-only");
        ro.Initialize();
        var tools = new Dictionary<string, JsonNode>();
        string? cursor = null;
        for (int page = 0; page < 20; page++)
        {
            var r = ro.Request(page + 1, "tools/list", cursor is null ? null : new JsonObject { ["cursor"] = cursor })["result"]!;
            foreach (var t in r["tools"]!.AsArray()) tools[t!["name"]!.GetValue<string>()] = t;
            cursor = r["nextCursor"]?.GetValue<string>();
            if (cursor is null) break;
        }
        Assert.Null(tools["http_get"]["inputSchema"]!["properties"]!["output"]);
        Assert.Null(tools["mail_fetch"]["inputSchema"]!["properties"]!["dir"]);
        Assert.Equal("read", tools["config_diff"]["inputSchema"]!["properties"]!["other"]!["x-resh-path"]!.GetValue<string>());
        Assert.Equal(0, ro.CloseAndWait());
    }
}
