using System.Text.Json.Nodes;

namespace Resh.Core.Execution;

/// <summary>Where streaming verbs send NDJSON events (<c>{"event": "...", ...}</c>) before their envelope.</summary>
public interface IEventSink
{
    void Emit(string eventName, JsonObject fields);

    /// <summary>
    /// Prints a whole envelope line before the verb's own (a fleet call under --format ndjson streams
    /// each host's envelope as it finishes). Sinks that cannot print envelopes ignore it.
    /// </summary>
    void EmitEnvelope(Output.Envelope envelope) { }
}
