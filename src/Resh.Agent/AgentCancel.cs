using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Agent;

/// <summary>
/// Cancelling a call whose caller stopped waiting (SIGINT, SIGTERM, --timeout, the deadline): one message on
/// <see cref="Subject"/>, <c>{"payload": BASE64, "sig": BASE64}</c> as a call, where payload is
/// <c>{"v":1,"kind":"cancel","id":CALL_ID,"caller":NAME,"issued":T,"expires":T,"hosts":[...]}</c> (keys in this order, no
/// spaces) signed by the caller's key. The named agents that run the call with that id for that caller cancel it
/// (its CancellationToken); one that has not received the call yet refuses it when it comes. No answer is sent.
/// </summary>
public static class AgentCancel
{
    public const string Subject = "resh.agent.cancel";

    /// <summary>How long a cancel message stays valid (it names a call that expires at most 5 minutes after it was issued).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    public sealed record Message(string Id, string Caller, DateTime Issued, DateTime Expires, IReadOnlyList<string> Hosts);

    /// <summary>The signed bytes. "kind":"cancel" keeps a call's signature from being taken for a cancel's and the reverse (a call has no kind).</summary>
    public static byte[] Canonical(Message m)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteNumber("v", 1);
            w.WriteString("kind", "cancel");
            w.WriteString("id", m.Id);
            w.WriteString("caller", m.Caller);
            w.WriteString("issued", AgentWire.Time(m.Issued));
            w.WriteString("expires", AgentWire.Time(m.Expires));
            w.WriteStartArray("hosts");
            foreach (var h in m.Hosts) w.WriteStringValue(h);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Signed(Message m, byte[] seed)
    {
        var payload = Canonical(m);
        var sig = AgentKeys.Sign(seed, payload);
        return Encoding.UTF8.GetBytes(new JsonObject { ["payload"] = Convert.ToBase64String(payload), ["sig"] = Convert.ToBase64String(sig) }.ToJsonString());
    }

    /// <summary>A cancel in (not yet verified) payload bytes, or null when it is not one.</summary>
    public static Message? Parse(byte[] payload)
    {
        try
        {
            if (JsonNode.Parse(payload) is not JsonObject o) return null;
            if (o["v"] is not JsonValue v || !v.TryGetValue<int>(out var version) || version != 1) return null;
            string? S(string k) => o[k] is JsonValue x && x.GetValueKind() == JsonValueKind.String ? x.GetValue<string>() : null;
            if (S("kind") != "cancel" || S("id") is not { } id || S("caller") is not { } caller) return null;
            if (!DateTime.TryParse(S("issued"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var issued)) return null;
            if (!DateTime.TryParse(S("expires"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var expires)) return null;
            if (o["hosts"] is not JsonArray ha || ha.Count > AgentWire.MaxHosts || !ha.All(n => n is JsonValue hv && hv.GetValueKind() == JsonValueKind.String)) return null;
            return new Message(id, caller, issued, expires, ha.Select(n => n!.GetValue<string>()).ToArray());
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// The caller's side: publishes the cancel of call <paramref name="id"/> to the hosts that did not answer, and waits
    /// (at most 2 s, within what is left of --timeout when it can be, under a <see cref="Cleanup.Hold"/> so an interrupted resh does not exit first) until the server has it.
    /// </summary>
    public static async Task PublishAsync(NatsConnection nats, string id, string caller, IReadOnlyList<string> hosts, byte[] seed, TimeSpan? left, Action<string> warn)
    {
        // Within what is left of --timeout when it can be (the publish itself is a buffered write; the wait is for the server's PONG).
        var wait = TimeSpan.FromMilliseconds(Math.Clamp((left ?? TimeSpan.FromSeconds(2)).TotalMilliseconds - 100, 250, 2000));
        using var hold = Cleanup.Hold();
        var now = DateTime.UtcNow;
        var bytes = Signed(new Message(id, caller, now, now + Lifetime, hosts), seed);
        try
        {
            using var cts = new CancellationTokenSource(wait);
            await nats.PublishAsync(Subject, bytes, cancellationToken: cts.Token).ConfigureAwait(false);
            await nats.PingAsync(cts.Token).ConfigureAwait(false); // the server has it once its PONG is back (NATS.Net's flush)
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            warn($"Could not send the cancel of call {id} to {hosts.Count} agent{(hosts.Count == 1 ? "" : "s")} ({ExceptionTranslation.OneLine(e.Message)}): they run it until it ends or expires.");
        }
    }
}
