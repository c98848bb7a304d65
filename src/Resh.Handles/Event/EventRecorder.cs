using System.Text.Json.Nodes;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Output;

namespace Resh.Handles.Event;

/// <summary>
/// <c>[events] record = true</c>: every call that answered <c>changed: true</c> becomes an event <c>resh.SCHEME.VERB</c>
/// (<c>resh.file.write</c>) with who ran it, what and on which target, so `event:///resh.>.list` is a local trail of what
/// resh changed. Calls of event:// itself are not recorded (an emit would record itself). Set into
/// <see cref="ReshRuntime.ChangeRecorder"/> by the CLI; never called when the setting is off.
/// </summary>
public static class EventRecorder
{
    /// <summary>The source of a change a rule of event.serve made: serve runs no rules on such events, so a rule on `resh.>` cannot trigger itself.</summary>
    public const string RuleSource = "event.serve";

    static readonly AsyncLocal<bool> InRule = new();

    /// <summary>True while a rule of event.serve runs: an event emitted then is the rule's (source event.serve).</summary>
    public static bool InRuleRun => InRule.Value;

    /// <summary>Marks the changes of the rule run in <paramref name="run"/> as made by a rule (recorded with source event.serve).</summary>
    public static async Task<T> AsRuleAsync<T>(Func<Task<T>> run)
    {
        InRule.Value = true;
        try { return await run().ConfigureAwait(false); }
        finally { InRule.Value = false; }
    }

    public static string? Record(ReshRuntime runtime, Invocation inv, Envelope env)
    {
        if (inv.Handle is not { } handle || inv.Verb is not { } verb || handle.Scheme == "event") return null;
        try
        {
            var topic = $"resh.{handle.Scheme}.{verb.Name}";
            if (EventTopic.Check(topic, pattern: false) is not null) topic = "resh.changed";
            var data = new JsonObject
            {
                ["handle"] = handle.Scheme,
                ["verb"] = verb.Name,
                ["target"] = env.Target,
                ["ok"] = env.Ok,
                ["host"] = env.Host,
                ["error"] = env.Error?.Code.ToWire(),
                ["duration_ms"] = Math.Round(env.DurationMs, 1),
            };
            var settings = EventSettings.From(runtime.Config);
            var correlation = env.Id is JsonValue id && id.TryGetValue<string>(out var s) && s.Length <= EventLimits.MaxSourceLength && !s.Any(char.IsControl) ? s : null;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            using var store = EventStore.Open(runtime.Paths, create: true, CancellationToken.None)!;
            store.Append(seq => new EventRecord(seq, EventRecord.NewId(), now, topic, InRule.Value ? RuleSource : "resh", correlation, EventArgs.Who(), data), settings.SegmentSize, durable: true);
            store.Retain(settings.MaxSize, settings.MaxAge);
            return null;
        }
        catch (ReshException ex) { return $"The change was not recorded as an event: {ex.Error.Message}"; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return $"The change was not recorded as an event: {ex.Message}"; }
    }
}
