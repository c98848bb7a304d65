using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Event;

public static class EventTopics
{
    public static readonly VerbInfo Verb = VerbInfo.Define("topics", Effect.Read,
        "Every topic in the trail with how many events it has, the first and last time and the last sequence number.",
        [EventArgs.Backend], () => EventJson.Default.EventTopicsResult, RunAsync,
        examples:
        [
            new("event://.topics --format table", "Topic, count, first, last."),
            new("'event:///deploy.>.topics'", "Only the topics under deploy."),
        ],
        notes: "On the nats backend the counts are the stream's per-subject counts (stream info with a subjects filter); segments is 0 "
            + "and disk_bytes the stream's bytes.",
        targetHelp: "Empty for every topic, or a pattern: event:///deploy.>");

    static async ValueTask<Outcome<EventTopicsResult>> RunAsync(VerbContext ctx)
    {
        var pattern = EventArgs.Pattern(ctx);
        var log = await EventLogs.OpenAsync(ctx).ConfigureAwait(false);
        return await log.TopicsAsync(ctx, pattern).ConfigureAwait(false);
    }
}
