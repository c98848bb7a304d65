using System.Text.Json.Nodes;
using Resh.Core.Execution;
using Resh.Core.Output;

namespace Resh.Core.Cli;

/// <summary>Sends a verb's stream events to the output writer, tagged with the batch id when there is one.</summary>
internal sealed class EventSink(OutputWriter output, JsonNode? id, bool hasId) : IEventSink
{
    public void Emit(string eventName, JsonObject fields) => output.WriteEvent(eventName, fields, id, hasId);

    public void EmitEnvelope(Envelope envelope) => output.WriteEnvelope(hasId ? envelope.With(id: id, hasId: true) : envelope, answer: false);
}
