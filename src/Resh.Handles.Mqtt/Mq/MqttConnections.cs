using System.Collections.Concurrent;
using System.Globalization;
using MQTTnet;
using MQTTnet.Formatter;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Mqtt.Mq;

/// <summary>The broker of a target or profile: where to connect, as whom, with which TLS, how long one call may take, and the consumer name of its sessions.</summary>
sealed record MqttServer(string Host, int Port, string? User, string? Password, bool Tls, TlsTrust? Trust, TimeSpan Timeout, string Label, string Consumer)
{
    public const int DefaultPort = 1883;
    public const int DefaultTlsPort = 8883;
    public string Display => (Host.Contains(':') ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);
    public string Key => $"{Display}|{User}|{Tls}|{Trust?.CaPath}|{Trust?.Insecure}";
}

/// <summary>
/// Connections to an MQTT 5 broker: one publishing connection per broker per process (a batch's publishes share it;
/// clean start, a random client id), and the persistent sessions of consumers (<see cref="MqttSession"/>). Connects once,
/// without reconnect attempts: a broker that is down is an <c>unavailable</c> envelope at once, not a retry loop.
/// </summary>
static class MqttConnections
{
    static readonly ConcurrentDictionary<string, IMqttClient> Publishers = new(StringComparer.Ordinal);
    static readonly MqttClientFactory Factory = new();

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    public static MqttServer ServerOf(VerbContext ctx, Endpoint endpoint)
    {
        var table = endpoint.Profile is null ? "the target" : $"[mq.{endpoint.Profile}]";
        var url = endpoint.Setting("url") is { } u && Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : null;
        var ca = endpoint.Setting("ca");
        var mode = endpoint.TlsMode(table, url?.Scheme == "mqtts" || ca is not null ? "on" : "off");
        if (mode == "insecure") ctx.Warn(TlsTrust.InsecureWarning);
        var tls = mode != "off";
        var timeout = DefaultTimeout;
        if (endpoint.Setting("timeout") is { } text)
        {
            if (!Resh.Core.Values.DurationValue.TryParse(text, out timeout) || timeout <= TimeSpan.Zero || timeout > TimeSpan.FromHours(1))
                throw ReshError.Usage($"timeout = \"{text}\" in {table} is not a duration between 1ms and 1h.", "Example: timeout = \"10s\"").ToException();
        }
        var consumer = endpoint.Setting("consumer") ?? "default";
        if (!MqttTopicMap.IsConsumerName(consumer))
            throw ReshError.Usage($"consumer = \"{MqttTopicMap.Clip(consumer)}\" in {table} is not a consumer name: letters, digits, `.`, `_`, `-`, at most 64.",
                "Example: consumer = \"worker-1\" (each consumer name is its own MQTT session and gets its own copy of every message).").ToException();
        var password = endpoint.Secret(ctx, "password");
        if (password is not null && endpoint.User is null)
            throw ReshError.Usage($"{table} has a password but no user.", "Add user = \"NAME\" next to the password.").ToException();
        if (password is not null && !tls && !endpoint.IsLoopback)
            ctx.Warn($"The password for {endpoint.Host} goes over plain MQTT (no TLS): anyone on the path can read it. Use url = \"mqtts://...\".");
        var port = endpoint.Port ?? (tls ? MqttServer.DefaultTlsPort : MqttServer.DefaultPort);
        var shown = endpoint.Display(port);
        return new MqttServer(endpoint.Host, port, endpoint.User, password?.Reveal(), tls, tls ? TlsTrust.Create(ca, mode == "insecure") : null, timeout,
            endpoint.Profile is null ? shown : $"[mq.{endpoint.Profile}] ({shown})", consumer);
    }

    /// <summary>Client options: MQTT 5, no reconnects, the call timeout; a persistent session (clean start false, never expiring) when <paramref name="persistent"/>.</summary>
    public static MqttClientOptions Options(MqttServer server, string clientId, bool persistent, ushort receiveMaximum)
    {
        var b = new MqttClientOptionsBuilder()
            .WithTcpServer(server.Host, server.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithTimeout(server.Timeout)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
            .WithCleanStart(!persistent)
            .WithSessionExpiryInterval(persistent ? uint.MaxValue : 0)
            .WithReceiveMaximum(receiveMaximum)
            // The broker must not send more than mq's largest body (plus the packet's own fields): a bigger message is
            // dropped by the broker for this client instead of filling resh's memory (s33 attacker #6).
            .WithMaximumPacketSize((uint)Resh.Handles.Mq.MqRecord.MaxPayload);
        if (server.User is not null) b = b.WithCredentials(server.User, server.Password ?? "");
        if (server.Tls && server.Trust is { } trust)
            b = b.WithTlsOptions(o => o.UseTls().WithTargetHost(server.Host)
                .WithCertificateValidationHandler(a => trust.Validate(null, a.Certificate, a.Chain, a.SslPolicyErrors)));
        return b.Build();
    }

    /// <summary>Connects a new client, or throws the translated envelope (refused, down, slow).</summary>
    public static async Task<(IMqttClient Client, MqttClientConnectResult Result)> ConnectAsync(MqttServer server, MqttClientOptions options,
        Func<MqttApplicationMessageReceivedEventArgs, Task>? onMessage, CancellationToken ct)
    {
        var client = Factory.CreateMqttClient();
        if (onMessage is not null) client.ApplicationMessageReceivedAsync += onMessage;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(server.Timeout);
            MqttClientConnectResult result;
            try { result = await client.ConnectAsync(options, cts.Token).ConfigureAwait(false); }
            catch (Exception e) when (MqttErrors.IsCaught(e) && !ct.IsCancellationRequested)
            {
                throw MqttErrors.Translate(e, server, cts.IsCancellationRequested).ToException();
            }
            if (result.ResultCode != MqttClientConnectResultCode.Success)
                throw MqttErrors.Refused(result.ResultCode, result.ReasonString, server).ToException();
            return (client, result);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The process's publishing connection to <paramref name="server"/> (clean start, random client id), made on first use.</summary>
    public static async Task<IMqttClient> PublisherAsync(MqttServer server, CancellationToken ct)
    {
        if (Publishers.TryGetValue(server.Key, out var open) && open.IsConnected) return open;
        var id = "resh-pub-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));
        var (client, _) = await ConnectAsync(server, Options(server, id, false, 100), null, ct).ConfigureAwait(false);
        Publishers[server.Key] = client;
        return client;
    }
}
