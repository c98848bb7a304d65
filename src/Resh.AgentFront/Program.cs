using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using NATS.Client.Core;

namespace Resh.AgentFront;

/// <summary>
/// `resh agent`'s front (issue 21): connects to NATS with the settings read from <c>--settings-fd N</c>, subscribes to
/// discovery, calls and cancels, and relays every message to one worker (<see cref="WorkerLink"/>), publishing what
/// the worker answers. SIGTERM/SIGINT drain the worker and flush; SIGHUP goes to the worker (it re-reads its roles).
/// </summary>
public static class Program
{
    const string Discover = "resh.agent.discover", Call = "resh.agent.call", Cancel = "resh.agent.cancel";
    static readonly TimeSpan Drain = TimeSpan.FromSeconds(30);

    public static async Task<int> Main(string[] args)
    {
        FrontSettings settings;
        try
        {
            if (args.Length != 2 || args[0] != "--settings-fd" || !int.TryParse(args[1], out var fd) || fd < 3)
                throw new FormatException("usage: --settings-fd N (started by `resh agent`, not by hand)");
            using var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1);
            using var buffer = new MemoryStream();
            stream.Seek(0, SeekOrigin.Begin);
            stream.CopyTo(buffer);
            settings = FrontSettings.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        catch (Exception e) when (e is FormatException or IOException or System.Text.Json.JsonException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("resh agent: the agent front cannot read its settings: " + e.Message);
            return 70;
        }
        var log = new FrontLog(settings.Hidden);
        var started = DateTime.UtcNow;
        var opts = NatsOpts.Default with
        {
            Url = settings.Url,
            Name = settings.Name,
            AuthOpts = NatsAuthOpts.Default with
            {
                Username = settings.User, Password = settings.Password, Token = settings.Token, Seed = settings.Seed, NKey = settings.NKey, CredsFile = settings.CredsFile,
            },
            TlsOpts = new NatsTlsOpts { Mode = settings.Tls switch { "on" => TlsMode.Require, "off" => TlsMode.Disable, _ => TlsMode.Auto }, CaFile = settings.Ca },
            ConnectTimeout = TimeSpan.FromSeconds(5),
            CommandTimeout = TimeSpan.FromSeconds(10),
            MaxReconnectRetry = -1,
            RetryOnInitialConnect = false,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(200),
            ReconnectWaitMax = TimeSpan.FromSeconds(5),
            SubPendingChannelCapacity = 4096,
            LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        };
        await using var nats = new NatsConnection(opts);
        nats.ConnectionDisconnected += (_, e) => { log.Line($"disconnected from NATS ({e.Message}); reconnecting"); return ValueTask.CompletedTask; };
        nats.ConnectionOpened += (_, e) => { log.Line($"connected to NATS ({e.Message})"); return ValueTask.CompletedTask; };
        nats.ReconnectFailed += (_, e) => { log.Line($"reconnect failed ({e.Message})"); return ValueTask.CompletedTask; };
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await nats.ConnectAsync().AsTask().WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException)
        {
            // The full resh connected a moment ago (it checks before it execs the front); this is a server that went away since.
            log.Line($"cannot connect to NATS: {e.Message}; the agent exits so its service manager restarts it");
            return 69;
        }

        var worker = new WorkerLink(settings, started, log, (subject, data) => nats.PublishAsync(subject, data));
        worker.MaxAnswer = nats.ServerInfo?.MaxPayload is > 0 and var max ? (int)Math.Min(max, int.MaxValue) : 1 << 20;
        nats.ConnectionOpened += (_, _) => { if (nats.ServerInfo?.MaxPayload is > 0 and var m) worker.MaxAnswer = (int)Math.Min(m, int.MaxValue); return ValueTask.CompletedTask; };

        using var stop = new CancellationTokenSource();
        void Stop()
        {
            if (stop.IsCancellationRequested) { worker.Interrupt(); return; }
            log.Line($"stopping; calls in flight get up to {Drain.TotalSeconds:0} s to finish (a second signal interrupts them)");
            stop.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Stop(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; Stop(); });
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; worker.Reload(); });

        try
        {
            await using var discover = await nats.SubscribeCoreAsync<byte[]>(Discover, cancellationToken: stop.Token).ConfigureAwait(false);
            await using var calls = await nats.SubscribeCoreAsync<byte[]>(Call, cancellationToken: stop.Token).ConfigureAwait(false);
            await using var cancels = await nats.SubscribeCoreAsync<byte[]>(Cancel, cancellationToken: stop.Token).ConfigureAwait(false);
            log.Line(settings.Ready);
            async Task Relay(INatsSub<byte[]> sub, byte kind)
            {
                await foreach (var msg in sub.Msgs.ReadAllAsync(stop.Token).ConfigureAwait(false))
                {
                    var data = msg.Data ?? [];
                    if (data.Length > settings.MaxMessage) continue; // unread: the worker would refuse it anyway
                    if (kind == AgentFrame.Call && CallAddress.ForOthersOnly(data, settings.Host)) continue; // for other agents: no worker starts for it
                    await worker.SendAsync(kind, msg.Subject, msg.ReplyTo ?? "", data, stop.Token).ConfigureAwait(false);
                }
            }
            await Task.WhenAll(Relay(discover, AgentFrame.Discover), Relay(calls, AgentFrame.Call), Relay(cancels, AgentFrame.Cancel)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        // The subscriptions are gone: the worker finishes what it has (its answers are published as they come), then exits.
        await worker.DrainAsync(Drain + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        try
        {
            using var flush = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await nats.PingAsync(flush.Token).ConfigureAwait(false); // every queued answer is with the server once its PONG is back
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException) { log.Line($"could not flush the last answers to NATS: {e.Message}"); }
        log.Line("stopped");
        return 0;
    }
}

/// <summary>One line per event on stderr, prefixed `resh agent: `; hidden texts are ***, control characters escaped.</summary>
public sealed class FrontLog(string[] hidden)
{
    public void Line(string line)
    {
        foreach (var h in hidden) if (h.Length > 0) line = line.Replace(h, "***", StringComparison.Ordinal);
        var escaped = new System.Text.StringBuilder(line.Length + 16);
        foreach (var c in line)
            if (c < 0x20 || c == 0x7f) escaped.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            else escaped.Append(c);
        lock (this) Console.Error.WriteLine("resh agent: " + escaped);
    }
}
