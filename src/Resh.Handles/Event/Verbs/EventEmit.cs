using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Values;

namespace Resh.Handles.Event;

public static class EventEmit
{
    static readonly Arg<JsonNode?> Data = Arg.Json("data", "The event's data: any JSON value, usually an object (data:='{\"version\":\"1.2\"}').", examples: ["{\"version\":\"1.2\"}"]);
    static readonly Arg<string?> Source = Arg.String("source", "Who or what emits it (a job, a host, a tool).", examples: ["ci", "backup-job"]);
    static readonly Arg<string?> Correlation = Arg.String("correlation", "A correlation id tying the events of one run together.", examples: ["run-2026-12-06-1"]);
    static readonly Arg<bool> Persistent = Arg.Bool("persistent", "Wait until the event is on disk (fsync) before answering; false answers after the write alone.", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("emit", Effect.Mutate,
        "Append an event to the trail: a topic, JSON data, source, correlation id; answers once it is on disk.",
        [Data, Source, Correlation, Persistent, EventArgs.Backend], () => EventJson.Default.EventEmitResult, RunAsync,
        examples:
        [
            new("'event:///deploy.emit(data:={\"version\":\"1.2\"})'", "seq, id and time of the new event."),
            new("event:///disk.full.emit data:='{\"mount\":\"/srv\",\"used\":97}' source=monitor", "With a source; rules on disk.full run when `serve` reads it."),
        ],
        notes: "The topic is the target: tokens of letters, digits, `_` and `-` joined by `.` (at most 200 characters). The data is at most "
            + "[events] max_data (1MiB by default) as JSON. Each emit also applies retention: whole old segments are deleted while the trail is "
            + "larger than [events] max_size (256MiB) or their newest event is older than [events] max_age (30d). Inside `resh batch`, consecutive emits "
            + "share one fsync (group commit): their answers are written after it, so none says ok before its event is on disk. "
            + "On the nats backend an emit is a JetStream publish answered after the server's ack (stored; seq is the stream's sequence); "
            + "persistent=false does not wait for it (seq 0), and retention is the stream's own (max_age, max_size as its MaxAge, MaxBytes).",
        targetHelp: "The topic: event:///deploy.created").WithDeferredSync();

    static async ValueTask<Outcome<EventEmitResult>> RunAsync(VerbContext ctx)
    {
        var topic = EventTopic.OfTarget(ctx.Target, pattern: false)
            ?? throw ReshError.Usage("The target names no topic.", "Example: resh 'event:///deploy.emit(data:={\"version\":\"1.2\"})'").ToException();
        var settings = EventSettings.From(ctx.Runtime.Config);
        var data = ctx.Get(Data);
        var bytes = data is null ? 0 : Encoding.UTF8.GetByteCount(data.ToJsonString());
        if (bytes > settings.MaxData)
            return ReshError.Usage($"The data is larger than max_data ({SizeValue.Format(settings.MaxData)}): {SizeValue.Format(bytes)} as JSON.",
                "Emit a reference (a path or URL) to the data instead of the data, or raise [events] max_data in the config (at most 16MiB).",
                new JsonObject { ["reason"] = "too_large", ["max_data"] = settings.MaxData, ["size"] = bytes });
        // An event a rule of serve emits is the rule's: serve runs no rule on it, so a rule emitting its own topic cannot loop (s32 attacker #7).
        var source = EventRecorder.InRuleRun ? EventRecorder.RuleSource : Text(ctx.Get(Source), "source");
        var correlation = Text(ctx.Get(Correlation), "correlation");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var who = EventArgs.Who();
        var log = await EventLogs.OpenAsync(ctx).ConfigureAwait(false);
        if (ctx.DryRun)
        {
            await log.CheckAsync(ctx).ConfigureAwait(false);
            return Outcome.Changed(new EventEmitResult(topic, 0, "", EventRecord.Stamp(now), bytes, false, 0));
        }
        var durable = ctx.Get(Persistent);
        var (rec, dropped) = await log.AppendAsync(ctx, seq => new EventRecord(seq, EventRecord.NewId(), now, topic, source, correlation, who, data), durable, settings).ConfigureAwait(false);
        return Outcome.Changed(new EventEmitResult(topic, rec.Seq, rec.Id, EventRecord.Stamp(now), bytes, durable && rec.Seq > 0, dropped));
    }

    static string? Text(string? value, string name)
    {
        if (value is null) return null;
        if (value.Length > EventLimits.MaxSourceLength || value.Any(char.IsControl))
            throw ReshError.Usage($"{name}= must be at most {EventLimits.MaxSourceLength} characters without control characters.",
                $"Example: {name}=backup-job").ToException();
        return value;
    }
}
