using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Core.Secrets;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// notifications/progress for one tools/call that carried a progressToken: the verb's progress reports
/// (bytes copied, files extracted) and its stream events (a line of `tail --follow`), at most ten a second
/// except the last, with a progress value that only grows (MCP requires it).
/// </summary>
public sealed class McpProgress(McpSession session, JsonNode token) : IEventSink, IDisposable
{
    readonly Lock _lock = new();
    readonly Stopwatch _clock = Stopwatch.StartNew();
    long _lastSentMs = -1000;
    double _lastProgress = -1;
    long _events;
    bool _done;

    public void Report(string label, long done, long? total)
    {
        lock (_lock)
        {
            if (_done || done <= _lastProgress) return;
            var final = total is { } t && done >= t;
            if (!final && _clock.ElapsedMilliseconds - _lastSentMs < 100) return;
            Send(done, total, label);
        }
    }

    public void Emit(string eventName, JsonObject fields)
    {
        lock (_lock)
        {
            if (_done) return;
            var n = ++_events;
            if (n <= _lastProgress) n = _events = (long)_lastProgress + 1;
            // The event itself goes as the message (masked like the envelope); the count is the progress.
            var text = SecretRedactor.Scrub(new JsonObject { ["event"] = eventName, ["fields"] = fields.DeepClone() }.ToJsonString());
            Send(n, null, text);
        }
    }

    public void EmitEnvelope(Envelope envelope) => Emit("envelope", new JsonObject { ["host"] = envelope.Host, ["ok"] = envelope.Ok });

    void Send(double progress, long? total, string message)
    {
        _lastProgress = progress;
        _lastSentMs = _clock.ElapsedMilliseconds;
        var p = new JsonObject { ["progressToken"] = token.DeepClone(), ["progress"] = progress };
        if (total is { } t) p["total"] = t;
        p["message"] = message;
        // Fire and forget under the lock's order: the sink serialises writes, and progress must not slow the verb.
        _ = session.SendAsync(JsonRpcWriter.Notification("notifications/progress", p));
    }

    public void Dispose()
    {
        lock (_lock) _done = true; // no progress after the response (MCP: notifications stop when the operation completes)
    }
}
