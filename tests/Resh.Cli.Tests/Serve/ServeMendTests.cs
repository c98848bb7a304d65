using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Serve;

/// <summary>
/// `resh serve` after the s39 reviews (issues 18/21): verbs that run programs need a role's `exec = true` (the one
/// declaration the agent reads too), a lock taken over REST has a finite lease, and `serve install --dry-run` shows its unit without systemd.
/// </summary>
public sealed class ServeMendTests : ServeTestBase
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public ServeMendTests() : base("serve-mend")
    {
        File.WriteAllText(Path.Combine(Data, "log.txt"), "one\ntwo\n");
        Config = Dir.File("config.toml", $$"""
            [roles.ops]
            allow = ["proc.spawn", "lock.*", "file.*:file://{{Data}}/**", "git.status", "backup.*", "pkg.install"]

            [roles.runner]
            allow = ["proc.spawn"]
            exec = true
            """);
    }

    string StartServer() => StartServe().Url;

    static async Task<(int Status, JsonObject Body)> CallAsync(string url, string token, string body)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, url + "/v1/call");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var resp = await Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        return ((int)resp.StatusCode, JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["raw"] = text });
    }

    static string Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>() ?? "ok";
    static string Message(JsonObject env) => env["error"]?["message"]?.GetValue<string>() ?? "";

    [Fact]
    public async Task A_role_runs_programs_only_with_exec_true_and_the_refusal_names_the_role()
    {
        var url = StartServer();
        var ops = Token("ops", "ops");
        var runner = Token("runner", "runner");
        var marker = Path.Combine(Data, "spawned");
        var spawn = new JsonObject { ["stage"] = "proc://", ["verb"] = "spawn", ["args"] = new JsonObject { ["argv"] = new JsonArray("/usr/bin/touch", marker) } }.ToJsonString();

        var (s, e) = await CallAsync(url, ops, spawn);
        Assert.True((s, Code(e)) == (403, "permission_denied"), e.ToJsonString());
        Assert.Contains("role `ops`", Message(e));
        Assert.Contains("exec = true", e["error"]!["hint"]!.GetValue<string>());
        // git:// is declared as running programs (a repository's config names them): the same rule, granted or not.
        (s, e) = await CallAsync(url, ops, new JsonObject { ["stage"] = $"git://{Data}", ["verb"] = "status" }.ToJsonString());
        Assert.True((s, Code(e)) == (403, "permission_denied"), e.ToJsonString());
        Assert.Contains("exec = false", Message(e));
        Thread.Sleep(300);
        Assert.False(File.Exists(marker));

        (s, e) = await CallAsync(url, runner, spawn);
        Assert.True(s == 200 && Code(e) == "ok", e.ToJsonString());
        for (var i = 0; i < 50 && !File.Exists(marker); i++) Thread.Sleep(100);
        Assert.True(File.Exists(marker));
    }

    [Fact]
    public async Task A_backup_ssh_config_is_refused_over_rest_because_it_names_programs()
    {
        // s40 attacker #2: backup.* with ssh_config= ran a ProxyCommand of the caller's choosing as the server's user.
        var url = StartServer();
        var ops = Token("ops-bk", "ops");
        var config = Path.Combine(Data, "evil_ssh_config");
        var marker = Path.Combine(Data, "proxy-ran");
        File.WriteAllText(config, $"Host *\n  ProxyCommand /usr/bin/touch {marker}\n");
        var (s, e) = await CallAsync(url, ops, new JsonObject
        {
            ["stage"] = "backup://sftp:evil@127.0.0.1:/repo", ["verb"] = "init",
            ["args"] = new JsonObject { ["ssh_config"] = config },
        }.ToJsonString());
        Assert.True((s, Code(e)) == (403, "permission_denied"), e.ToJsonString());
        Assert.Contains("ssh_config", Message(e));
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task A_local_package_file_needs_exec_but_a_package_name_does_not()
    {
        // s40 user D7: a role without exec installed a caller-supplied .deb (its postinst runs as the server's user).
        var url = StartServer();
        var ops = Token("ops-pkg", "ops");
        var deb = Path.Combine(Data, "probe_1.0_all.deb");
        File.WriteAllText(deb, "not really a package");
        foreach (var body in new[]
        {
            new JsonObject { ["stage"] = "pkg://" + deb, ["verb"] = "install", ["dry_run"] = true },
            new JsonObject { ["stage"] = "pkg://resh-test-hello", ["verb"] = "install", ["dry_run"] = true, ["args"] = new JsonObject { ["packages"] = new JsonArray(deb) } },
        })
        {
            var (s, e) = await CallAsync(url, ops, body.ToJsonString());
            Assert.True((s, Code(e)) == (403, "permission_denied"), e.ToJsonString());
            Assert.Contains("exec = true", e["error"]!["hint"]!.GetValue<string>());
        }
        var (s2, e2) = await CallAsync(url, ops, new JsonObject { ["stage"] = "pkg://resh-test-hello", ["verb"] = "install", ["dry_run"] = true }.ToJsonString());
        Assert.True(Code(e2) != "permission_denied", e2.ToJsonString());
    }

    [Fact]
    public async Task A_lock_taken_over_rest_has_a_finite_lease_and_is_free_after_it()
    {
        var url = StartServer();
        var ops = Token("ops", "ops");
        var name = "mend-" + Guid.NewGuid().ToString("N")[..8];

        var (s, e) = await CallAsync(url, ops, $$"""{"stage":"lock:///{{name}}","verb":"acquire"}""");
        Assert.True(s == 200 && Code(e) == "ok", e.ToJsonString());
        Assert.NotNull(e["result"]!["holder"]!["expires"]); // no ttl= given: the server's default lease
        Assert.Contains(e["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("15m"));

        (s, e) = await CallAsync(url, ops, $$$"""{"stage":"lock:///{{{name}}}x","verb":"acquire","args":{"ttl":"48h"}}""");
        Assert.True((s, Code(e)) == (400, "usage"), e.ToJsonString());

        (s, e) = await CallAsync(url, ops, $$$"""{"stage":"lock:///{{{name}}}s","verb":"acquire","args":{"ttl":"2s"}}""");
        Assert.True(s == 200 && Code(e) == "ok", e.ToJsonString());
        (s, e) = await CallAsync(url, ops, $$"""{"stage":"lock:///{{name}}s","verb":"acquire"}""");
        Assert.True(Code(e) == "conflict", e.ToJsonString()); // held by the server's call
        Thread.Sleep(2500);
        (s, e) = await CallAsync(url, ops, $$$"""{"stage":"lock:///{{{name}}}s","verb":"acquire","args":{"ttl":"10s"}}""");
        Assert.True(s == 200 && Code(e) == "ok", "the 2s lease did not end: " + e.ToJsonString());
    }

    [Fact]
    public void Serve_install_dry_run_prints_the_unit_without_systemd()
    {
        if (Directory.Exists("/run/systemd/system")) return; // systemd runs here: the dry run has a manager to talk to (ServeInstallSystemdTests)
        var unit = "resh-mend-" + Guid.NewGuid().ToString("N")[..6];
        var run = ReshBinary.Run(["serve", "install", $"name={unit}", "--dry-run", "--format", "json"], env: Env);
        Assert.True(run.ExitCode == 0, run.ToString());
        var diff = run.Result!["diff"]!.GetValue<string>();
        Assert.Contains("ExecStart=", diff);
        Assert.Contains("127.0.0.1:8080", diff.Split('\n').Single(l => l.StartsWith("+ExecStart=", StringComparison.Ordinal)));
        Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("systemd is not running"));
        Assert.False(File.Exists($"/etc/systemd/system/{unit}.service"));
    }
}
