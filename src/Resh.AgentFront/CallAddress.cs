using System.Text.Json;

namespace Resh.AgentFront;

/// <summary>
/// Whether a call message names other agents only. The front then drops it before it reaches a worker: the worker would
/// ignore it unaudited anyway (not addressed to it), and a call to other hosts must not start this host's worker
/// (s43 user review: every call woke the full resh on every agent). Nothing here is trusted: a message that does not
/// read as a request with a host list goes to the worker, which checks and audits it.
/// </summary>
public static class CallAddress
{
    public static bool ForOthersOnly(ReadOnlySpan<byte> message, string host)
    {
        try
        {
            var reader = new Utf8JsonReader(message);
            using var outer = JsonDocument.ParseValue(ref reader);
            if (outer.RootElement.ValueKind != JsonValueKind.Object
                || !outer.RootElement.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.String) return false;
            using var request = JsonDocument.Parse(payload.GetBytesFromBase64());
            if (request.RootElement.ValueKind != JsonValueKind.Object
                || !request.RootElement.TryGetProperty("hosts", out var hosts) || hosts.ValueKind != JsonValueKind.Array) return false;
            foreach (var h in hosts.EnumerateArray())
                if (h.ValueKind != JsonValueKind.String || h.ValueEquals(host)) return false;
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException) { return false; }
    }
}
