using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Exceptions;
using Resh.Core.Errors;

namespace Resh.Handles.Mqtt.Mq;

/// <summary>MQTT client exceptions and refusals as envelopes: each with the broker's words and a hint, never a stack trace.</summary>
static class MqttErrors
{
    public static ReshError Translate(Exception e, MqttServer server, bool timedOut)
    {
        var details = new JsonObject { ["server"] = server.Display };
        var where = server.Label;
        var inner = Inner(e);
        if (server.Tls && server.Trust?.LastFailure is { } why)
            return ReshError.PermissionDenied($"The TLS certificate of {where} was refused: {why}.", Resh.Core.Endpoints.TlsTrust.Hint, details);
        if (timedOut || e is TimeoutException or MqttCommunicationTimedOutException or OperationCanceledException)
            return ReshError.Timeout($"{where} did not answer in time.", "Check that the broker is up and reachable; raise timeout = \"10s\" in the [mq.NAME] table.", details);
        if (e is MqttClientUnexpectedDisconnectReceivedException d)
        {
            details["reason"] = d.ReasonCode.ToString();
            return ReshError.Failed($"{where} closed the connection: {d.ReasonCode}{(d.ReasonString is { Length: > 0 } s ? " (" + Clip(s) + ")" : "")}.",
                "Check the broker's log and its limits (message_size_limit, max_queued_messages) and the user's ACL.", details);
        }
        if (e is MqttCommunicationException or System.Net.Sockets.SocketException or IOException or System.Security.Authentication.AuthenticationException)
            return ReshError.Unavailable($"Cannot connect to MQTT at {where}: {inner}.",
                "Check that the broker (mosquitto) runs there and the address and port are right (1883 plain, 8883 TLS).", details) with { NotSent = ExceptionTranslation.NeverConnected(e) };
        return ReshError.Failed($"The MQTT call to {where} failed: {ExceptionTranslation.OneLine(e.Message)}", "Retry; check the broker's log if it keeps failing.", details);
    }

    /// <summary>A CONNACK that is not success: bad credentials, not authorized, a banned client id...</summary>
    public static ReshError Refused(MqttClientConnectResultCode code, string? reason, MqttServer server)
    {
        var details = new JsonObject { ["server"] = server.Display, ["reason"] = code.ToString() };
        var said = reason is { Length: > 0 } ? $" ({Clip(reason)})" : "";
        return code switch
        {
            MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized =>
                ReshError.PermissionDenied($"{server.Label} refused the user and password{said}.",
                    "Check user and password (password = \"env:VAR\", \"secret:NAME\" or \"file:PATH\") of the [mq.NAME] table.", details),
            MqttClientConnectResultCode.ServerUnavailable or MqttClientConnectResultCode.ServerBusy or MqttClientConnectResultCode.QuotaExceeded =>
                ReshError.Unavailable($"{server.Label} is not accepting connections now: {code}{said}.", "Retry later; check the broker's log.", details) with { NotSent = true },
            MqttClientConnectResultCode.UnsupportedProtocolVersion =>
                ReshError.Unsupported($"{server.Label} does not speak MQTT 5{said}.", "resh needs an MQTT 5 broker (mosquitto 1.6 or later).", details),
            _ => ReshError.Failed($"{server.Label} refused the connection: {code}{said}.", "Check the broker's log and configuration.", details),
        };
    }

    static string Inner(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        return ExceptionTranslation.OneLine(inner.Message).TrimEnd('.');
    }

    static string Clip(string s) => MqttTopicMap.Clip(s);

    public static bool IsCaught(Exception e) =>
        e is MqttCommunicationException or System.Net.Sockets.SocketException or IOException or TimeoutException or OperationCanceledException
            or System.Security.Authentication.AuthenticationException or MqttProtocolViolationException;
}
