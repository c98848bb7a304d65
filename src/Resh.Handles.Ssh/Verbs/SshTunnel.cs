using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Values;
using Resh.Handles.Ssh.Fleet;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh.Verbs;

public static class SshTunnel
{
    static readonly Arg<string?> Remote = Arg.String("remote", "Where connections go, as seen from the host: HOST:PORT (localhost:5432 is the host's own port).",
        required: true, examples: ["localhost:5432"]);
    static readonly Arg<long?> LocalPort = Arg.Int("local_port", "Local port to listen on; 0 picks a free one.", 0, min: 0, max: 65535);
    static readonly Arg<string?> Bind = Arg.String("bind", "Local address to listen on.", "127.0.0.1");
    static readonly Arg<TimeSpan?> Duration = Arg.Duration("duration", "How long the tunnel stays open (at most 24h); --timeout or Ctrl-C close it earlier.", TimeSpan.FromMinutes(1));

    public static readonly VerbInfo Verb = VerbInfo.Define("tunnel", Effect.Read,
        "Forward a local port to an address reachable from the host, for a bounded time.",
        [Remote, LocalPort, Bind, Duration, .. SshArgs.Connection], () => SshJson.Default.TunnelResult, RunAsync, streams: true,
        examples: [new("'ssh://db1.tunnel(remote=localhost:5432,duration=10m)'", "Reach db1's PostgreSQL on a local port for ten minutes.")],
        notes: "Prints a `tunnel.open` event with the local port as soon as the forward listens, then the envelope when it closes. " +
               "It runs its own ssh connection (not the shared ControlMaster), so closing it removes the forward.");

    static ValueTask<Outcome<TunnelResult>> RunAsync(VerbContext ctx) =>
        HostVerb.RunAsync(ctx, SshJson.Default.TunnelResult, (call, host) => OpenAsync(ctx, call, host), fleetAllowed: false);

    static async Task<Outcome<TunnelResult>> OpenAsync(VerbContext ctx, SshCall call, HostTarget host)
    {
        var remote = ctx.Get(Remote)!;
        var colon = remote.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(remote[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var rport) || rport is < 1 or > 65535
            || !HostSpec.IsHostName(remote[..colon].Trim('[', ']')))
            return ReshError.Usage($"remote `{remote}` is not HOST:PORT.", "Example: remote=localhost:5432");
        var bind = ctx.Get(Bind)!;
        if (!IPAddress.TryParse(bind, out var bindAddress))
            return ReshError.Usage($"bind `{bind}` is not an IP address.", "Example: bind=127.0.0.1");
        var duration = ctx.Get(Duration)!.Value;
        if (duration <= TimeSpan.Zero || duration > TimeSpan.FromHours(24))
            return ReshError.Usage("duration must be more than 0 and at most 24h.", "Example: duration=10m");
        var port = (int)(ctx.Get(LocalPort) ?? 0);
        if (port == 0) port = FreePort(bindAddress);
        // A port someone already listens on would look "open" at once (the check below reads /proc/net),
        // and ssh would then exit on ExitOnForwardFailure: say so before any tunnel.open event.
        else if (PortTaken(bindAddress, port) is { } taken)
            return ReshError.Conflict($"Local port {port} on {bind} is already in use: {taken}.", "Pick another local_port, or leave it out to get a free one.",
                new JsonObject { ["host"] = host.Alias, ["local_address"] = bind, ["local_port"] = port });
        var bindText = bindAddress.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bind}]" : bind;

        var argv = new List<string> { "ssh" };
        argv.AddRange(SshCommand.CommonOptions(call.Settings, host, multiplex: false));
        argv.AddRange(["-o", "ExitOnForwardFailure=yes", "-N", "-L", $"{bindText}:{port}:{remote}", "--", host.Destination]);
        ctx.Runtime.Log($"ssh: {string.Join(' ', argv)}");
        using var child = await ChildProcess.StartAsync(argv, ctx.Cancellation).ConfigureAwait(false);
        await child.FeedAsync(null, ctx.Cancellation).ConfigureAwait(false);
        var exited = child.WaitAsync(CancellationToken.None);

        // Up when the forward listens (read from /proc/net, so no probe connection reaches the remote service).
        var openDeadline = Stopwatch.StartNew();
        while (!Listening(port))
        {
            if (exited.IsCompleted)
            {
                var (stderr, _) = await child.StderrAsync().ConfigureAwait(false);
                if (SshClient.IsSshFailure(await exited.ConfigureAwait(false), stderr) && !stderr.Contains("forward", StringComparison.OrdinalIgnoreCase))
                    return await call.Client.FailureAsync(host, stderr).ConfigureAwait(false);
                return ReshError.Failed($"The tunnel to {host.Alias} did not open: {stderr.Trim().Split('\n').LastOrDefault()}",
                    "Is the local port free? Does the host allow TCP forwarding (AllowTcpForwarding)?", new JsonObject { ["host"] = host.Alias, ["local_port"] = port, ["stderr"] = stderr });
            }
            if (openDeadline.Elapsed > call.Settings.ConnectTimeout + TimeSpan.FromSeconds(5))
                return ReshError.Timeout($"The tunnel to {host.Alias} did not open in time.", "Check the host with resh ssh://" + host.Alias + ".test",
                    new JsonObject { ["host"] = host.Alias, ["phase"] = "connect" });
            await Task.Delay(20, ctx.Cancellation).ConfigureAwait(false);
        }
        var opened = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        ctx.Events.Emit("tunnel.open", new JsonObject
        {
            ["host"] = host.Alias, ["local_address"] = bind, ["local_port"] = port, ["remote"] = remote,
            ["until"] = (opened + duration).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        });

        string closedBy;
        try
        {
            var finished = await Task.WhenAny(exited, Task.Delay(duration, ctx.Cancellation)).ConfigureAwait(false);
            closedBy = finished == exited ? "exited" : "duration";
            if (finished != exited) await finished.ConfigureAwait(false); // observe a cancellation
        }
        catch (OperationCanceledException)
        {
            // --timeout or Ctrl-C is how a tunnel is meant to be closed early: a normal end.
            closedBy = ctx.TimedOut ? "timeout" : "interrupted";
        }
        child.Kill();
        var result = new TunnelResult(host.Alias, bind, port, remote, opened.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            Math.Round(clock.Elapsed.TotalMilliseconds, 2), closedBy);
        if (closedBy == "exited")
        {
            var (stderr, _) = await child.StderrAsync().ConfigureAwait(false);
            return ReshError.Unavailable($"The tunnel to {host.Alias} closed after {DurationValue.Format(TimeSpan.FromSeconds(Math.Round(clock.Elapsed.TotalSeconds)))}: the connection ended.",
                "Check the host; rerun to reopen.", new JsonObject { ["host"] = host.Alias, ["phase"] = "session", ["stderr"] = stderr });
        }
        return result;
    }

    /// <summary>Why the port cannot be bound (in use, or reserved), or null when it is free.</summary>
    static string? PortTaken(IPAddress bind, int port)
    {
        var l = new TcpListener(bind, port);
        try
        {
            l.Start();
            return null;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return "another program listens there";
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            return "ports below 1024 need root";
        }
        finally
        {
            l.Stop();
        }
    }

    static int FreePort(IPAddress bind)
    {
        var l = new TcpListener(bind, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>True when something listens on the TCP port (IPv4 or IPv6) in this network namespace.</summary>
    static bool Listening(int port)
    {
        var hex = port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            string[] lines;
            try { lines = File.ReadAllLines(file); } catch (IOException) { continue; }
            foreach (var line in lines.Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 3 && f[3] == "0A" && f[1].EndsWith(":" + hex, StringComparison.Ordinal)) return true;
            }
        }
        return false;
    }
}
