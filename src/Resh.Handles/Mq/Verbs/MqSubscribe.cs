using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqSubscribe
{
    static readonly Arg<long?> Count = Arg.Int("count", "Stop after this many messages (default: run until --timeout or Ctrl-C).", min: 1, aliases: ["n"]);
    static readonly Arg<TimeSpan?> Poll = Arg.Duration("poll", "The longest pause between looks at an empty queue (it starts at 10ms and doubles up to this).", TimeSpan.FromMilliseconds(250), examples: ["50ms", "1s"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("subscribe", Effect.Mutate,
        "Stream messages as they arrive, one NDJSON `message` event each, until count or --timeout.",
        [Count, MqArgs.Ack, MqArgs.Visibility, Poll, MqArgs.Backend], () => MqJson.Default.MqSubscribeResult, RunAsync,
        streams: true,
        examples:
        [
            new("mq:///jobs.subscribe --timeout 1m", "Every message for a minute: {\"event\":\"message\",\"seq\":...,\"body\":...} per line, then the envelope."),
            new("mq:///jobs.subscribe count=10 ack=manual", "Ten leased messages; ack each with its receipt."),
        ],
        notes: "Messages are taken as consume takes them (ack=auto by default: done when streamed). The queue is polled, waiting at most `poll` between looks. "
            + "An end by --timeout is normal (`ok: true`, `ended: \"timeout\"`); Ctrl-C ends it as `interrupted`. The queue is created if it does not exist yet.",
        targetHelp: "The queue: mq:///jobs");

    static async ValueTask<Outcome<MqSubscribeResult>> RunAsync(VerbContext ctx)
    {
        var (name, backend) = await MqTarget.OpenAsync(ctx).ConfigureAwait(false);
        var limit = ctx.Get(Count);
        var take = MqArgs.TakeOf(ctx, 100);
        var maxPause = ctx.Get(Poll) ?? TimeSpan.FromMilliseconds(250);
        if (maxPause <= TimeSpan.Zero || maxPause > TimeSpan.FromMinutes(1))
            return Resh.Core.Errors.ReshError.Usage("poll= must be longer than zero and at most 1m.", "Example: poll=250ms");
        return await backend.SubscribeAsync(ctx, name, limit, take, maxPause).ConfigureAwait(false);
    }
}
