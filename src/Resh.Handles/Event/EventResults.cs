using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Resh.Handles.Event;

[Description("One event of the trail.")]
public sealed record EventItem(
    [property: Description("Its sequence number: unique and increasing across the whole trail.")] long Seq,
    [property: Description("A random id (24 hex digits).")] string Id,
    [property: Description("When it was emitted (RFC 3339 UTC, milliseconds).")] string Time,
    string Topic,
    [property: Description("Who or what emitted it (source= at emit).")] string? Source,
    [property: Description("A correlation id tying events of one run together (correlation= at emit).")] string? Correlation,
    [property: Description("The user who emitted it.")] string? Who,
    [property: Description("The event's JSON data.")] JsonNode? Data)
{
    public static EventItem Of(EventRecord r) => new(r.Seq, r.Id, EventRecord.Stamp(r.TimeMs), r.Topic, r.Source, r.Correlation, r.Who, r.Data);
}

public sealed record EventEmitResult(
    string Topic,
    [property: Description("The event's sequence number in the trail.")] long Seq,
    string Id,
    string Time,
    [property: Description("Size of the data as stored (JSON bytes).")] long Bytes,
    [property: Description("True when the event was on disk (fsync) before this answer.")] bool Durable,
    [property: Description("Old segments deleted by retention (max_age, max_size) during this emit.")] int Dropped);

public sealed record EventListResult(
    [property: Description("The topic pattern asked for (null: every topic).")] string? Pattern,
    [property: Description("Matching events, oldest first (the newest `limit` of them).")] IReadOnlyList<EventItem> Events,
    int Count,
    [property: Description("True when more events matched than limit; the oldest were left out.")] bool Truncated);

public sealed record EventFollowResult(
    string? Pattern,
    [property: Description("Events streamed as NDJSON `event` lines.")] long Received,
    [property: Description("The sequence number of the last event read: pass it as after= to go on from there.")] long LastSeq,
    [property: Description("count (count= reached), timeout (--timeout, a normal end).")] string Ended);

[Description("One topic of the trail with its counts.")]
public sealed record EventTopicInfo(
    string Topic,
    [property: Description("Events with this topic still in the trail.")] long Count,
    [property: Description("The oldest one's time (RFC 3339 UTC).")] string First,
    [property: Description("The newest one's time (RFC 3339 UTC).")] string Last,
    [property: Description("The newest one's sequence number.")] long LastSeq);

public sealed record EventTopicsResult(
    IReadOnlyList<EventTopicInfo> Topics,
    [property: Description("Events in the trail (every topic).")] long Events,
    [property: Description("Segment files on disk.")] int Segments,
    [property: Description("Bytes in those segments.")] long DiskBytes);

[Description("A rule: on events whose topic matches `on` (and every `where` filter), run the stage `run` with the arguments `with` rendered from the event.")]
public sealed record EventRule(
    [property: Description("The rule's name (unique).")] string Name,
    [property: Description("The topic pattern (NATS-style: `*` one token, `>` the rest).")] string On,
    [property: Description("Field filters that must all hold (PATH=VALUE, PATH!=VALUE).")] IReadOnlyList<string> Where,
    [property: Description("The stage run, as text (no placeholders: the target is fixed).")] string Run,
    [property: Description("The verb it runs.")] string Verb,
    [property: Description("Argument templates of the stage; string values may hold {{path}} placeholders into the event ({{data.version}}, {{topic}}, {{seq}}).")] JsonObject With,
    [property: Description("The rule applies to events from this sequence number on (the next one when it was added).")] long FromSeq,
    string Created,
    [property: Description("Who added it.")] string? Who);

public sealed record EventRulesResult(IReadOnlyList<EventRule> Rules);

public sealed record EventRuleAddResult(
    EventRule Rule,
    [property: Description("False when a rule of this name existed and was replaced.")] bool Created);

public sealed record EventRuleRemoveResult(
    string Name,
    [property: Description("False when there was no such rule.")] bool Removed);

[Description("One rule run by serve.")]
public sealed record EventRuleRun(
    [property: Description("The event's sequence number.")] long Seq,
    string Topic,
    string Rule,
    string Stage,
    [property: Description("The run's envelope: ok.")] bool Ok,
    [property: Description("The run's envelope: changed.")] bool Changed,
    [property: Description("The error code when it failed.")] string? Error,
    [property: Description("The error message when it failed.")] string? Message,
    double DurationMs);

public sealed record EventServeResult(
    [property: Description("The server's name (its cursor: events/serve/NAME.cursor).")] string Name,
    [property: Description("Events read (matched or not).")] long Events,
    [property: Description("Rule runs, successful or not.")] long Runs,
    [property: Description("Rule runs that failed.")] long Failed,
    [property: Description("The cursor: the last event handled.")] long LastSeq,
    [property: Description("caught_up (once=true), timeout (--timeout) or terminated (SIGTERM): normal ends.")] string Ended);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(EventEmitResult))]
[JsonSerializable(typeof(EventListResult))]
[JsonSerializable(typeof(EventFollowResult))]
[JsonSerializable(typeof(EventTopicsResult))]
[JsonSerializable(typeof(EventRulesResult))]
[JsonSerializable(typeof(EventRuleAddResult))]
[JsonSerializable(typeof(EventRuleRemoveResult))]
[JsonSerializable(typeof(EventServeResult))]
[JsonSerializable(typeof(EventItem))]
[JsonSerializable(typeof(EventRuleRun))]
[JsonSerializable(typeof(EventRuleSet))]
[JsonSerializable(typeof(EventCursor))]
internal sealed partial class EventJson : JsonSerializerContext;

/// <summary>rules.json: every rule, replaced atomically under the trail's lock.</summary>
public sealed class EventRuleSet
{
    public List<EventRule> Rules { get; set; } = [];
}

/// <summary>serve/NAME.cursor: the last event a server handled (replaced atomically after each event).</summary>
public sealed class EventCursor
{
    public long After { get; set; }
    public string? Updated { get; set; }
}
