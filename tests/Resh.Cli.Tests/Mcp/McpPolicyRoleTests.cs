using System.Text.Json.Nodes;
using Xunit;

namespace Resh.Cli.Tests.Mcp;

/// <summary>
/// What a call acts on besides its target meets the policy by its declaration: `secret_env` items are secret sources
/// (ArgRole.SecretSources), pkg's `packages` and a repo's `name` are more targets (ArgRole.Target); path arguments from
/// the config file's [defaults] meet --read-only and the patterns; a `~` path is also checked as the literal relative
/// path some handles take it for; lock names are matched in one spelling; lock.release force=true is confirmed.
/// Nothing here is installed, removed or scheduled: refused calls run nothing, the others are dry runs or declined.
/// </summary>
public sealed class McpPolicyRoleTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("resh-mcp-role-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static JsonObject Call(McpProcess mcp, int id, string tool, JsonObject arguments) => mcp.CallTool(id, tool, arguments);

    static string? Code(JsonObject env) => McpProcess.Code(env);

    static void AssertRefused(JsonObject env, string mentions, string what)
    {
        Assert.True(Code(env) == "permission_denied", $"{what}: {env.ToJsonString()}");
        Assert.Contains(mentions, env["error"]!["message"]!.GetValue<string>());
        Assert.NotNull(env["error"]!["hint"]);
    }

    static void InitializeEliciting(McpProcess mcp)
    {
        mcp.Request(0, "initialize", new JsonObject
        {
            ["protocolVersion"] = "2025-11-25",
            ["capabilities"] = new JsonObject { ["elicitation"] = new JsonObject() },
            ["clientInfo"] = new JsonObject { ["name"] = "raw", ["version"] = "1" },
        });
        mcp.Send(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" }.ToJsonString());
    }

    /// <summary>Sends a call that must ask for confirmation, declines it, and returns the message the user was shown.</summary>
    static string DeclinedConfirmation(McpProcess mcp, int id, string tool, JsonObject arguments)
    {
        mcp.Send(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = tool, ["arguments"] = arguments },
        }.ToJsonString());
        var ask = mcp.Next();
        Assert.True(ask["method"]?.GetValue<string>() == "elicitation/create", $"{tool}: no confirmation asked: {ask.ToJsonString()}");
        var message = ask["params"]!["message"]!.GetValue<string>();
        mcp.Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = ask["id"]!.DeepClone(), ["result"] = new JsonObject { ["action"] = "decline" } }.ToJsonString());
        var answer = mcp.Next();
        Assert.Equal("permission_denied", answer["result"]!["structuredContent"]!["error"]!["code"]!.GetValue<string>());
        return message;
    }

    [Fact]
    public void Secret_env_items_take_only_literals_and_granted_stored_secrets()
    {
        var secretFile = Path.Combine(_dir, "s");
        File.WriteAllText(secretFile, "server-side-secret\n");
        var root = Directory.CreateDirectory(Path.Combine(_dir, "cronroot")).FullName;
        using var mcp = new McpProcess("--allow-secret", "ci/*");
        mcp.Initialize();
        JsonObject Add(JsonNode secretEnv) => new()
        {
            ["target"] = "rolejob", ["schedule"] = "@daily", ["command"] = new JsonArray("/bin/true"), ["root"] = root,
            ["secret_env"] = secretEnv, ["dry_run"] = true,
        };
        var id = 1;
        foreach (var entries in new JsonNode[]
                 {
                     new JsonArray("A=file:" + secretFile), new JsonArray("OK=literal", "B=env:HOME"), new JsonArray("C=secret:db/app"),
                     JsonValue.Create("OK=x,D=file:" + secretFile)!,
                 })
            AssertRefused(Call(mcp, id++, "cron_add", Add(entries)), "`secret_env` entry", entries.ToJsonString());
        // ssh.exec resolves them on this machine before it connects: refused before any connection is tried.
        AssertRefused(Call(mcp, id++, "ssh_exec", new JsonObject { ["target"] = "127.0.0.1:9", ["argv"] = new JsonArray("true"), ["secret_env"] = new JsonArray("T=env:PATH") }),
            "`secret_env` entry T", "ssh.exec");
        // Literals and a granted stored secret pass the policy (whatever the dry run says after).
        Assert.NotEqual("permission_denied", Code(Call(mcp, id++, "cron_add", Add(new JsonArray("OK=literal", "G=secret:ci/token")))));
        Assert.False(File.Exists(Path.Combine(root, "etc", "resh", "cron", "rolejob.env")));
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void Pkg_packages_and_repo_names_meet_the_target_patterns()
    {
        var deb = Path.Combine(_dir, "evil.deb");
        File.WriteAllText(deb, "not a package\n");
        using (var mcp = new McpProcess("--allow", "pkg.*:pkg://nginx"))
        {
            mcp.Initialize();
            var id = 1;
            AssertRefused(Call(mcp, id++, "pkg_remove", new JsonObject { ["target"] = "nginx", ["packages"] = new JsonArray("curl"), ["dry_run"] = true }), "pkg://curl", "remove curl");
            AssertRefused(Call(mcp, id++, "pkg_install", new JsonObject { ["target"] = "nginx", ["packages"] = new JsonArray(deb), ["dry_run"] = true }), "`packages`", "local deb");
            AssertRefused(Call(mcp, id++, "pkg_install", new JsonObject { ["target"] = "nginx", ["names"] = "nginx,curl", ["dry_run"] = true }), "pkg://curl", "alias, comma list");
            AssertRefused(Call(mcp, id++, "pkg_repo_remove", new JsonObject { ["target"] = "nginx", ["name"] = "nodesource", ["dry_run"] = true }), "`name`", "repo name");
            Assert.Equal(0, mcp.CloseAndWait());
        }
        using (var mcp = new McpProcess("--deny", "pkg.remove:pkg://openssh-server"))
        {
            mcp.Initialize();
            AssertRefused(Call(mcp, 1, "pkg_remove", new JsonObject { ["target"] = "nginx", ["packages"] = new JsonArray("openssh-server"), ["dry_run"] = true }),
                "pkg://openssh-server", "deny through packages");
            Assert.Equal(0, mcp.CloseAndWait());
        }
        // The confirmation of pkg.remove names every package it removes (declined: nothing is removed).
        using (var mcp = new McpProcess())
        {
            InitializeEliciting(mcp);
            var message = DeclinedConfirmation(mcp, 1, "pkg_remove", new JsonObject { ["target"] = "resh-no-such-pkg-a", ["packages"] = new JsonArray("resh-no-such-pkg-b") });
            Assert.Contains("pkg://resh-no-such-pkg-a", message);
            Assert.Contains("pkg://resh-no-such-pkg-b", message);
            Assert.Equal(0, mcp.CloseAndWait());
        }
    }

    [Fact]
    public void Path_defaults_from_the_config_file_meet_read_only_and_the_patterns()
    {
        var victim = Directory.CreateDirectory(Path.Combine(_dir, "victim")).FullName;
        var written = Path.Combine(victim, "written-by-default");
        var config = Path.Combine(_dir, "config.toml");
        File.WriteAllText(config, $"[defaults.http.get]\noutput = \"{written}\"\n");
        var env = new Dictionary<string, string> { ["RESH_CONFIG"] = config };
        // Port 9 on loopback: nothing listens, so a call let through fails on the network (and writes nothing).
        var get = new JsonObject { ["target"] = "http://127.0.0.1:9/page" };
        using (var mcp = new McpProcess(null, ["--read-only"], env))
        {
            mcp.Initialize();
            AssertRefused(Call(mcp, 1, "http_get", (JsonObject)get.DeepClone()), "`output`", "read-only default");
            Assert.Equal(0, mcp.CloseAndWait());
        }
        using (var mcp = new McpProcess(null, ["--deny", $"http.*:file://{victim}/**"], env))
        {
            mcp.Initialize();
            AssertRefused(Call(mcp, 1, "http_get", (JsonObject)get.DeepClone()), "`output`", "denied default");
            Assert.Equal(0, mcp.CloseAndWait());
        }
        Assert.False(File.Exists(written));
    }

    [Fact]
    public void A_tilde_path_is_also_checked_as_the_relative_path_a_handle_may_take_it_for()
    {
        var victim = Directory.CreateDirectory(Path.Combine(_dir, "victim")).FullName;
        var cwd = Environment.CurrentDirectory;
        // http.get writes `~/../../REL` at CWD/~/../../REL = parent(CWD)/REL: inside the denied tree.
        var output = "~/../../" + Path.GetRelativePath(Path.GetDirectoryName(cwd)!, Path.Combine(victim, "via-tilde"));
        using var mcp = new McpProcess("--deny", $"http.*:file://{victim}/**");
        mcp.Initialize();
        AssertRefused(Call(mcp, 1, "http_get", new JsonObject { ["target"] = "http://127.0.0.1:9/page", ["output"] = output }), "`output`", output);
        AssertRefused(Call(mcp, 2, "http_get", new JsonObject { ["target"] = "http://127.0.0.1:9/page", ["output"] = "file://" + victim + "/x" }), "`output`", "file uri");
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void Lock_names_meet_the_patterns_in_every_spelling_and_a_forced_release_is_confirmed()
    {
        using (var mcp = new McpProcess("--deny", "lock.*:lock:///prod"))
        {
            mcp.Initialize();
            var id = 1;
            foreach (var target in new[] { "prod", "lock://prod", "lock:///prod", "/prod", "lock:////prod" })
                AssertRefused(Call(mcp, id++, "lock_status", new JsonObject { ["target"] = target }), "lock.status", target);
            Assert.True(Call(mcp, id++, "lock_status", new JsonObject { ["target"] = "lock://other" })["ok"]!.GetValue<bool>());
            Assert.Equal(0, mcp.CloseAndWait());
        }
        using (var mcp = new McpProcess("--allow", "lock.*:lock:///ci-*"))
        {
            mcp.Initialize();
            Assert.True(Call(mcp, 1, "lock_status", new JsonObject { ["target"] = "ci-1" })["ok"]!.GetValue<bool>());
            Assert.Equal(0, mcp.CloseAndWait());
        }
        using (var mcp = new McpProcess())
        {
            mcp.Initialize();
            AssertRefused(Call(mcp, 1, "lock_release", new JsonObject { ["target"] = "prod", ["force"] = true }), "cannot confirm", "force without elicitation");
            Assert.NotEqual("permission_denied", Code(Call(mcp, 2, "lock_release", new JsonObject { ["target"] = "prod", ["token"] = "x" })));
            Assert.Equal(0, mcp.CloseAndWait());
        }
        using (var mcp = new McpProcess())
        {
            InitializeEliciting(mcp);
            Assert.Contains("lock:///prod", DeclinedConfirmation(mcp, 1, "lock_release", new JsonObject { ["target"] = "lock://prod", ["force"] = "yes" }));
            Assert.Equal(0, mcp.CloseAndWait());
        }
    }

    [Fact]
    public void Deleting_a_symlink_confirms_the_link_not_its_destination()
    {
        var available = Directory.CreateDirectory(Path.Combine(_dir, "site", "available")).FullName;
        var enabled = Directory.CreateDirectory(Path.Combine(_dir, "site", "enabled")).FullName;
        File.WriteAllText(Path.Combine(available, "default"), "conf\n");
        var link = Path.Combine(enabled, "default");
        File.CreateSymbolicLink(link, "../available/default");
        File.CreateSymbolicLink(Path.Combine(_dir, "en"), enabled);

        using var mcp = new McpProcess();
        InitializeEliciting(mcp);
        var message = DeclinedConfirmation(mcp, 1, "file_delete", new JsonObject { ["target"] = $"file://{_dir}/en/default" });
        Assert.Contains($"file://{link} (a symlink to ../available/default)", message);
        Assert.True(File.Exists(link));
        Assert.Equal(0, mcp.CloseAndWait());
    }

    static Dictionary<string, JsonNode> Tools(McpProcess mcp)
    {
        var tools = new Dictionary<string, JsonNode>();
        string? cursor = null;
        for (int page = 0; page < 20; page++)
        {
            var r = mcp.Request(500 + page, "tools/list", cursor is null ? null : new JsonObject { ["cursor"] = cursor })["result"]!;
            foreach (var t in r["tools"]!.AsArray()) tools[t!["name"]!.GetValue<string>()] = t;
            cursor = r["nextCursor"]?.GetValue<string>();
            if (cursor is null) break;
        }
        return tools;
    }

    [Fact]
    public void Reveal_is_the_operators_to_grant_with_allow_reveal()
    {
        // user s30: config.get reveal=true handed clear secrets to a --read-only client. `reveal` (ArgRole.Reveal) is now
        // neither offered nor accepted unless the operator starts the server with --allow-reveal; from the config file's
        // [defaults] neither.
        var file = Path.Combine(_dir, "app.yaml");
        File.WriteAllText(file, "db:\n  password: Hunter2secret\n");
        using (var mcp = new McpProcess("--read-only"))
        {
            mcp.Initialize();
            var tools = Tools(mcp);
            Assert.Null(tools["config_get"]["inputSchema"]!["properties"]!["reveal"]);
            Assert.Null(tools["secret_get"]["inputSchema"]!["properties"]!["reveal"]);
            Assert.NotNull(tools["config_get"]["inputSchema"]!["properties"]!["key"]);
            var masked = Call(mcp, 1, "config_get", new JsonObject { ["target"] = $"config://{file}" });
            Assert.Null(Code(masked));
            Assert.DoesNotContain("Hunter2secret", masked.ToJsonString());
            foreach (var value in new JsonNode[] { JsonValue.Create(true), JsonValue.Create("true"), JsonValue.Create("yes") })
            {
                var refused = Call(mcp, 2, "config_get", new JsonObject { ["target"] = $"config://{file}", ["reveal"] = value.DeepClone() });
                AssertRefused(refused, "reveal", "reveal=" + value.ToJsonString());
                Assert.DoesNotContain("Hunter2secret", refused.ToJsonString());
            }
            Assert.Null(Code(Call(mcp, 3, "config_get", new JsonObject { ["target"] = $"config://{file}", ["reveal"] = false })));
            Assert.Equal(0, mcp.CloseAndWait());
        }
        var config = Path.Combine(_dir, "resh.toml");
        File.WriteAllText(config, "[defaults.config.get]\nreveal = true\n");
        using (var mcp = new McpProcess(null, ["--read-only"], new Dictionary<string, string> { ["RESH_CONFIG"] = config }))
        {
            mcp.Initialize();
            var fromDefaults = Call(mcp, 1, "config_get", new JsonObject { ["target"] = $"config://{file}" });
            AssertRefused(fromDefaults, "reveal", "reveal from [defaults]");
            Assert.DoesNotContain("Hunter2secret", fromDefaults.ToJsonString());
            Assert.Equal(0, mcp.CloseAndWait());
        }
        // s31 attacker #3: secret.exec returned secrets reversed or base64-encoded past the masking; it is a reveal too.
        using (var mcp = new McpProcess())
        {
            mcp.Initialize();
            Assert.False(Tools(mcp).ContainsKey("secret_exec"));
            var exec = Call(mcp, 1, "secret_exec", new JsonObject { ["env"] = "X:nothing", ["command"] = "sh -c 'echo $X | rev'" });
            Assert.NotNull(Code(exec));
            Assert.NotEqual("ok", Code(exec));
            // s36 user #1: a template's secret("NAME") answered questions about a keystore value (render, fails, length).
            foreach (var tool in new[] { "template_render", "template_validate", "template_test" })
                Assert.False(Tools(mcp).ContainsKey(tool), tool);
            var oracle = Call(mcp, 2, "template_validate", new JsonObject { ["target"] = "template://", ["inline"] = "{% if secret('db/pw').startswith('P') %}{{ 1 // 0 }}{% endif %}" });
            Assert.Equal("permission_denied", Code(oracle));
            Assert.Equal(0, mcp.CloseAndWait());
        }
        using (var mcp = new McpProcess("--allow-reveal"))
        {
            mcp.Initialize();
            Assert.True(Tools(mcp).ContainsKey("secret_exec"));
            Assert.Equal(0, mcp.CloseAndWait());
        }
        using (var mcp = new McpProcess("--read-only", "--allow-reveal"))
        {
            mcp.Initialize();
            Assert.NotNull(Tools(mcp)["config_get"]["inputSchema"]!["properties"]!["reveal"]);
            var shown = Call(mcp, 1, "config_get", new JsonObject { ["target"] = $"config://{file}", ["reveal"] = true });
            Assert.Null(Code(shown));
            Assert.Contains("Hunter2secret", shown.ToJsonString());
            Assert.Equal(0, mcp.CloseAndWait());
        }
    }
}
