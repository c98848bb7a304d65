using System.Text.Json.Nodes;

namespace Resh.Core.Execution;

/// <summary>Where streaming verbs send NDJSON events (<c>{"event": "...", ...}</c>) before their envelope.</summary>
public interface IEventSink
{
    void Emit(string eventName, JsonObject fields);
}
