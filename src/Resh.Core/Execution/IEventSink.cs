using System.Text.Json.Nodes;

namespace Resh.Core.Execution;

/// <summary>Where streaming verbs send NDJSON events (<c>{"event": "...", ...}</c>) before their envelope.</summary>
public interface IEventSink
{
    void Emit(string eventName, JsonObject fields);

    /// <summary>
    /// <see cref="Emit"/> for a verb whose events can outrun their reader (a follow): a sink with a bounded queue (a REST
    /// stream to a slow client) waits for room here without holding a thread. Sinks without a bound emit at once.
    /// </summary>
    ValueTask EmitAsync(string eventName, JsonObject fields, CancellationToken ct = default)
    {
        Emit(eventName, fields);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Prints a whole envelope line before the verb's own (a fleet call under --format ndjson streams
    /// each host's envelope as it finishes). Sinks that cannot print envelopes ignore it.
    /// </summary>
    void EmitEnvelope(Output.Envelope envelope) { }
}
