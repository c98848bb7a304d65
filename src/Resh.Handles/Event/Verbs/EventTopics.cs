using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Event;

public static class EventTopics
{
    public static readonly VerbInfo Verb = VerbInfo.Define("topics", Effect.Read,
        "Every topic in the trail with how many events it has, the first and last time and the last sequence number.",
        [EventArgs.Backend], () => EventJson.Default.EventTopicsResult, Run,
        examples:
        [
            new("event://.topics --format table", "Topic, count, first, last."),
            new("'event:///deploy.>.topics'", "Only the topics under deploy."),
        ],
        targetHelp: "Empty for every topic, or a pattern: event:///deploy.>");

    static Outcome<EventTopicsResult> Run(VerbContext ctx)
    {
        var pattern = EventArgs.Pattern(ctx);
        var counts = new Dictionary<string, (long Count, long First, long Last, long LastSeq)>(StringComparer.Ordinal);
        long total = 0;
        int segments = 0;
        long bytes = 0;
        using (var store = EventStore.Open(ctx.Runtime.Paths, create: false, ctx.Cancellation))
        {
            if (store is not null)
            {
                store.Read(new EventStore.Position(0, 0, 0), null, rec =>
                {
                    ctx.Cancellation.ThrowIfCancellationRequested();
                    total++;
                    if (!EventTopic.Matches(pattern, rec.Topic)) return true;
                    counts[rec.Topic] = counts.TryGetValue(rec.Topic, out var c) ? (c.Count + 1, c.First, rec.TimeMs, rec.Seq) : (1, rec.TimeMs, rec.TimeMs, rec.Seq);
                    return true;
                });
                segments = store.Segments.Count;
                bytes = store.TotalBytes();
                EventArgs.Forward(ctx, store);
            }
        }
        var list = counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new EventTopicInfo(kv.Key, kv.Value.Count, EventRecord.Stamp(kv.Value.First), EventRecord.Stamp(kv.Value.Last), kv.Value.LastSeq)).ToArray();
        return new EventTopicsResult(list, total, segments, bytes);
    }
}
