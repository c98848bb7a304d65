using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Nats.Mq;

/// <summary>The server of a target or profile: where to connect, as whom, with which TLS, and how long one call may take.</summary>
sealed record NatsServer(string Host, int Port, string? User, string? Password, string Tls, string? Ca, TimeSpan Timeout, string Label)
{
    /// <summary>TLS is required only because a password is configured and tls was left at auto (s32 attacker #2).</summary>
    public bool TlsForPassword { get; init; }

    /// <summary>Where its settings are written, for hints: the [mq.NAME] table, or event://'s [events].</summary>
    public string Table { get; init; } = "the [mq.NAME] table";

    public const int DefaultPort = 4222;
    public string Display => (Host.Contains(':') ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);
    public string Key => $"{Display}|{User}|{Tls}|{Ca}";
}

/// <summary>
/// One NATS connection per server per process (a batch's publishes share it). Connects once, without reconnect
/// attempts: a server that is down is an <c>unavailable</c> envelope at once, not a retry loop.
/// </summary>
static class NatsConnections
{
    static readonly ConcurrentDictionary<string, (NatsConnection Nats, NatsJSContext Js)> Open = new(StringComparer.Ordinal);

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    public static NatsServer ServerOf(VerbContext ctx, Endpoint endpoint) =>
        ServerOf(ctx, endpoint, endpoint.Profile is null ? "the target" : $"[mq.{endpoint.Profile}]", endpoint.Profile is null ? null : $"[mq.{endpoint.Profile}]",
            () => endpoint.Secret(ctx, "password"));

    /// <summary>
    /// The server of a table that is not an [mq.NAME] profile (event://'s [events]): <paramref name="table"/> names it in
    /// messages, <paramref name="label"/> (null: host:port) in the server's label, <paramref name="password"/> reads its secret.
    /// </summary>
    public static NatsServer ServerOf(VerbContext ctx, Endpoint endpoint, string table, string? label, Func<Resh.Core.Secrets.SecretValue?> password)
    {
        var url = endpoint.Setting("url") is { } u && Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : null;
        var ca = endpoint.Setting("ca");
        var tls = endpoint.TlsMode(table, url?.Scheme == "tls" || ca is not null ? "on" : "auto", allowAuto: true);
        if (tls == "insecure") ctx.Warn(TlsTrust.InsecureWarning);
        var timeout = DefaultTimeout;
        if (endpoint.Setting("timeout") is { } text)
        {
            if (!Resh.Core.Values.DurationValue.TryParse(text, out timeout) || timeout <= TimeSpan.Zero || timeout > TimeSpan.FromHours(1))
                throw ReshError.Usage($"timeout = \"{text}\" in {table} is not a duration between 1ms and 1h.", "Example: timeout = \"10s\"").ToException();
        }
        var secret = password();
        if (secret is not null && endpoint.User is null)
            throw ReshError.Usage($"{table} has a password but no user.", "Add user = \"NAME\" next to the password.").ToException();
        // A password never goes in clear unless the operator says so: with tls left at auto, a server that does not offer
        // TLS (or an on-path rewrite of its INFO) would otherwise receive it as plain text.
        var forPassword = secret is not null && tls == "auto";
        if (forPassword) tls = "on";
        if (secret is not null && tls == "off" && !endpoint.IsLoopback)
            ctx.Warn($"The password for {table} goes to {endpoint.Display(NatsServer.DefaultPort)} without TLS (tls = \"off\"): readable on the network.");
        return new NatsServer(endpoint.Host, endpoint.Port ?? NatsServer.DefaultPort, endpoint.User, secret?.Reveal(), tls, ca, timeout,
            label is null ? endpoint.Display(NatsServer.DefaultPort) : $"{label} ({endpoint.Display(NatsServer.DefaultPort)})")
        { TlsForPassword = forPassword, Table = table.StartsWith('[') ? "the " + table + " table" : "the [mq.NAME] table" };
    }

    public static async Task<(NatsConnection Nats, NatsJSContext Js)> GetAsync(NatsServer server, CancellationToken ct)
    {
        if (Open.TryGetValue(server.Key, out var open)) return open;
        var host = server.Host.Contains(':') ? $"[{server.Host}]" : server.Host;
        var opts = NatsOpts.Default with
        {
            Url = $"nats://{host}:{server.Port.ToString(CultureInfo.InvariantCulture)}",
            Name = "resh",
            AuthOpts = NatsAuthOpts.Default with { Username = server.User, Password = server.Password },
            TlsOpts = new NatsTlsOpts
            {
                Mode = server.Tls switch { "on" or "insecure" => TlsMode.Require, "off" => TlsMode.Disable, _ => TlsMode.Auto },
                CaFile = server.Ca,
                InsecureSkipVerify = server.Tls == "insecure",
            },
            ConnectTimeout = server.Timeout,
            RequestTimeout = server.Timeout,
            CommandTimeout = server.Timeout,
            MaxReconnectRetry = 0,
            RetryOnInitialConnect = false,
            LoggerFactory = NullLoggerFactory.Instance,
            SerializerRegistry = NatsDefaultSerializerRegistry.Default,
        };
        var nats = new NatsConnection(opts);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(server.Timeout);
            await nats.ConnectAsync().AsTask().WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch
        {
            _ = nats.DisposeAsync().AsTask();
            throw;
        }
        var pair = (nats, new NatsJSContext(nats));
        Open[server.Key] = pair;
        return pair;
    }
}
