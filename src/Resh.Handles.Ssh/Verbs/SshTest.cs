using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Ssh.Fleet;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh.Verbs;

public static class SshTest
{
    public static readonly VerbInfo Verb = VerbInfo.Define("test", Effect.Read,
        "Check each connection phase to a host (config, reachability, host key, login, sftp) and name the one that fails.",
        [.. SshArgs.Connection], () => SshJson.Default.TestResult, RunAsync,
        examples: [new("ssh://box.test", "Diagnose one host."), new("ssh://@web.test --format ndjson", "A fleet, host by host.")],
        notes: "Each phase uses a fresh connection (never a cached ControlMaster), so a pass means a new login works now. " +
               "A failing phase is an error with its name in details.phase: config (usage), connect (unavailable), hostkey or auth (permission_denied), sftp (unavailable). " +
               "The reachability probe is a TCP connect that reads the server banner; it is skipped behind ProxyJump or ProxyCommand.");

    static ValueTask<Outcome<TestResult>> RunAsync(VerbContext ctx) => HostVerb.RunAsync(ctx, SshJson.Default.TestResult, (call, host) => TestAsync(ctx, call, host));

    static async Task<Outcome<TestResult>> TestAsync(VerbContext ctx, SshCall call, HostTarget host)
    {
        var client = call.Client;
        var phases = new List<TestPhase>();
        var clock = Stopwatch.StartNew();
        SshEffectiveConfig effective;
        try { effective = await client.EffectiveAsync(host).ConfigureAwait(false); }
        catch (ReshException ex) { return Fail(ex.Error, phases, "config", clock); }
        phases.Add(new TestPhase("config", true, Ms(clock), null));
        var hostname = effective.Get("hostname");
        var port = effective.Port;
        string? banner = null;

        bool proxied = effective.Get("proxyjump") is { } pj && pj != "none" || effective.Get("proxycommand") is { } pc && pc != "none";
        if (!proxied && hostname is not null)
        {
            clock.Restart();
            try
            {
                banner = await BannerAsync(hostname, port, client.Settings.ConnectTimeout, ctx.Cancellation).ConfigureAwait(false);
                phases.Add(new TestPhase("connect", true, Ms(clock), banner));
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !ctx.Cancellation.IsCancellationRequested)
            {
                var why = ex is OperationCanceledException ? "timed out" : ExceptionTranslation.OneLine(ex.Message);
                return Fail(ReshError.Unavailable($"Cannot reach {host.Alias} ({hostname}:{port}): {why}.", "Check that the host is up and sshd listens on its port.",
                    new JsonObject { ["host"] = host.Alias, ["phase"] = "connect", ["reason"] = why }), phases, "connect", clock);
            }
        }

        clock.Restart();
        HostKeyState state;
        try { state = await HostKeyState.LoadAsync(client, host).ConfigureAwait(false); }
        catch (ReshException ex) { return Fail(ex.Error, phases, PhaseOf(ex.Error, "connect"), clock); }
        var keyOk = state.Status == "trusted" || state.Status == "unknown" && client.Settings.HostKeyPolicy == "accept-new";
        phases.Add(new TestPhase("hostkey", keyOk, Ms(clock), $"{state.Status} {state.Keys[0].Fingerprint}"));
        if (!keyOk)
        {
            var failure = new SshFailure("hostkey", state.Status, $"host key {state.Status}");
            return Fail(failure.ToError(host, new JsonObject { ["fingerprint"] = state.Keys[0].Fingerprint, ["key_type"] = state.Keys[0].Type, ["known_hosts_name"] = state.Name }),
                phases, "hostkey", clock, record: false);
        }

        clock.Restart();
        var login = await client.ExecAsync(host, "exit 0", deadline: client.Settings.ConnectTimeout + TimeSpan.FromSeconds(10), multiplex: false, phase: "auth").ConfigureAwait(false);
        if (login.ExitCode != 0)
        {
            var error = await client.FailureAsync(host, login.Stderr).ConfigureAwait(false);
            return Fail(error, phases, PhaseOf(error, "auth"), clock);
        }
        phases.Add(new TestPhase("auth", true, Ms(clock), effective.Get("user")));

        clock.Restart();
        var sftp = await client.RunAsync(SshCommand.Sftp(client.Settings, host, multiplex: false), Encoding.UTF8.GetBytes("pwd\n"),
            client.Settings.ConnectTimeout + TimeSpan.FromSeconds(10), 64 * 1024, "sftp", host).ConfigureAwait(false);
        if (sftp.ExitCode != 0)
        {
            var f = SshFailure.Classify(sftp.Stderr);
            var error = f.Phase is "session" or "connect" ? new SshFailure("sftp", "no_sftp", sftp.LastErrorLine).ToError(host) : f.ToError(host);
            return Fail(error, phases, "sftp", clock);
        }
        phases.Add(new TestPhase("sftp", true, Ms(clock), null));
        return new TestResult(host.Alias, hostname, port, effective.Get("user"), banner, state.Status, phases.ToArray());
    }

    static async Task<string?> BannerAsync(string host, int port, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
        using var stream = tcp.GetStream();
        var buf = new byte[256];
        var n = await stream.ReadAsync(buf, cts.Token).ConfigureAwait(false);
        var line = Encoding.ASCII.GetString(buf, 0, n).Split('\n')[0].Trim();
        return line.StartsWith("SSH-", StringComparison.Ordinal) ? line : null;
    }

    static string PhaseOf(ReshError e, string fallback) => e.Details?["phase"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : fallback;

    static ReshError Fail(ReshError error, List<TestPhase> phases, string phase, Stopwatch clock, bool record = true)
    {
        if (record) phases.Add(new TestPhase(phase, false, Ms(clock), error.Message));
        var details = error.Details is null ? new JsonObject() : (JsonObject)error.Details.DeepClone();
        details["phase"] = phase;
        details["phases"] = new JsonArray(phases.Select(p => (JsonNode?)new JsonObject
        {
            ["name"] = p.Name, ["ok"] = p.Ok, ["duration_ms"] = p.DurationMs, ["detail"] = p.Detail,
        }).ToArray());
        return error with { Details = details };
    }

    static double Ms(Stopwatch c) => Math.Round(c.Elapsed.TotalMilliseconds, 2);
}
