using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqRequest
{
    static readonly Arg<TimeSpan?> Wait = Arg.Duration("wait", "How long to wait for the reply.", TimeSpan.FromSeconds(5), examples: ["5s", "30s"], aliases: ["reply_timeout"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("request", Effect.Mutate,
        "Send a message and wait for one reply (request-reply): NATS core request on the subject QUEUE.",
        [MqPublish.Body, MqPublish.FromFile, MqPublish.Headers, MqPublish.MaxBody, Wait, MqArgs.Backend], () => MqJson.Default.MqRequestResult, RunAsync,
        examples:
        [
            new("'mq://events/svc.time.request(body=now, wait=2s)'", "The first reply of a responder subscribed to svc.time, or `timeout` after 2 s."),
        ],
        notes: "NATS: a core request (publish with a reply inbox) on the subject named by the target; no responder answers `unavailable` at once, "
            + "no reply within wait= answers `timeout`. A subject a JetStream stream stores (a queue's own subject) is answered by the stream's ack, not "
            + "by a responder: use a subject of its own for services. The embedded queue and Redis Streams have no responders: request on them is `unsupported`.",
        targetHelp: "The subject: mq://PROFILE/svc.time, mq://HOST:4222/svc.time");

    static async ValueTask<Outcome<MqRequestResult>> RunAsync(VerbContext ctx)
    {
        var (name, backend) = await MqTarget.OpenAsync(ctx).ConfigureAwait(false);
        var wait = ctx.Get(Wait) ?? TimeSpan.FromSeconds(5);
        if (wait <= TimeSpan.Zero || wait > TimeSpan.FromHours(1))
            return ReshError.Usage("wait= must be longer than zero and at most 1h.", "Example: wait=5s");
        var max = ctx.Get(MqPublish.MaxBody) ?? MqLimits.DefaultMaxBody;
        if (max <= 0 || max > MqLimits.MaxBodyCeiling)
            return ReshError.Usage("max_body= must be between 1 byte and 64MiB.", "Example: max_body=8MiB");
        var body = MqPublish.ReadBody(ctx, (int)max);
        var headers = MqPublish.HeadersOf(ctx.Get(MqPublish.Headers));
        return await backend.RequestAsync(ctx, name, new MqOutgoing(body, null, headers, true), wait).ConfigureAwait(false);
    }
}
