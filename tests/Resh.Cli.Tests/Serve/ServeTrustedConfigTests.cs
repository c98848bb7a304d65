using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Serve;

/// <summary>
/// s41 review: `resh serve` takes roles, client mappings and LDAP groups from its config file, so that file must be
/// changeable by no one but the server's user and root (the agent's rule, OwnedStateDir.CheckTrustedFile): checked at
/// start (refused with permission_denied) and on every re-read (every call then refused until it is fixed).
/// These tests run as root (the suite does), so "another user" is nobody (65534).
/// </summary>
public sealed class ServeTrustedConfigTests : ServeTestBase
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public ServeTrustedConfigTests() : base("serve-trust")
    {
        Config = Dir.File("config.toml", """
            [roles.ro]
            allow = ["system.*"]
            read_only = true
            """);
        File.SetUnixFileMode(Config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    ReshRun Serve() => ReshBinary.Run(["serve", "--listen", $"127.0.0.1:{LoopbackPorts.Free(1)[0]}"], env: Env);

    static async Task<(int Status, JsonObject Body)> UptimeAsync(string url, string token)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, url + "/v1/call");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Content = new StringContent("""{"stage":"system://","verb":"uptime"}""", Encoding.UTF8, "application/json");
        var resp = await Http.SendAsync(req);
        return ((int)resp.StatusCode, (JsonObject)JsonNode.Parse(await resp.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public void A_state_dir_of_another_user_is_refused_at_start_not_every_audit_record_lost()
    {
        // s43 F5: the audit trail is kept only in a state dir of the server's user; the server says so at start.
        Directory.CreateDirectory(State);
        Assert.Equal(0, Shell.Run($"chown 65534 {Shell.Q(State)}").ExitCode);
        var run = Serve();
        Assert.NotEqual(0, run.ExitCode);
        Assert.True(run.ErrorCode == "permission_denied", run.ToString());
        Assert.Contains("audit trail", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains("RESH_HOME", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void A_group_writable_config_is_refused_at_start()
    {
        File.SetUnixFileMode(Config, File.GetUnixFileMode(Config) | UnixFileMode.GroupWrite);
        var run = Serve();
        Assert.NotEqual(0, run.ExitCode);
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Contains("writable by group or others", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains("chmod go-w", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void A_token_file_another_user_can_change_grants_nothing()
    {
        // s42 attacker F1: serve read state/serve/tokens.json without the config's owner and mode check, so whoever
        // could write the state dir planted a token of any role.
        Token("ci", "ro");
        var tokens = Path.Combine(State, "serve", "tokens.json");
        Assert.Equal(0, ReshBinary.Run(["token", "list", "--format", "json"], env: Env).ExitCode);
        File.SetUnixFileMode(tokens, File.GetUnixFileMode(tokens) | UnixFileMode.OtherWrite);
        var list = ReshBinary.Run(["token", "list", "--format", "json"], env: Env);
        Assert.Equal("permission_denied", list.ErrorCode);
        Assert.Contains("token file", list.Envelope["error"]!["message"]!.GetValue<string>());
        File.SetUnixFileMode(tokens, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(0, Shell.Run($"chown 65534 {Shell.Q(Path.GetDirectoryName(tokens)!)}").ExitCode);
        Assert.Equal("permission_denied", ReshBinary.Run(["token", "list", "--format", "json"], env: Env).ErrorCode);
    }

    [Fact]
    public void A_config_owned_by_another_user_is_refused_at_start()
    {
        File.SetUnixFileMode(Config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.Equal(0, Shell.Run($"chown 65534 {Shell.Q(Config)}").ExitCode);
        var run = Serve();
        Assert.NotEqual(0, run.ExitCode);
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Contains("belongs to user 65534", run.Envelope["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_config_that_becomes_writable_by_others_refuses_every_call_until_it_is_fixed()
    {
        var token = Token("ci", "ro");
        var server = StartServe();
        Assert.Equal(200, (await UptimeAsync(server.Url, token)).Status);
        // Made group-writable and edited (the edit is what the server sees: size and mtime).
        File.SetUnixFileMode(Config, File.GetUnixFileMode(Config) | UnixFileMode.GroupWrite);
        File.AppendAllText(Config, "\n[roles.ro2]\nallow = [\"*\"]\n");
        var (status, env) = await UptimeAsync(server.Url, token);
        Assert.Equal(503, status);
        Assert.Equal("unavailable", env["error"]!["code"]!.GetValue<string>());
        Assert.Contains("writable by group or others", env["error"]!["message"]!.GetValue<string>());
        // Owned by nobody: refused as well.
        File.SetUnixFileMode(Config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.Equal(0, Shell.Run($"chown 65534 {Shell.Q(Config)}").ExitCode);
        File.AppendAllText(Config, "\n# edited\n");
        Assert.Equal(503, (await UptimeAsync(server.Url, token)).Status);
        // Fixed: served again.
        Assert.Equal(0, Shell.Run($"chown 0 {Shell.Q(Config)}").ExitCode);
        File.AppendAllText(Config, "\n# fixed\n");
        Assert.Equal(200, (await UptimeAsync(server.Url, token)).Status);
    }
}
