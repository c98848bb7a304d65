using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

static class MqArgs
{
    public static readonly Arg<string?> Backend = Arg.Enum("backend",
        "Where the queue lives: embedded (the state directory of this machine; the default without a server), nats (JetStream; the default for mq://HOST:PORT/QUEUE), redis (Redis Streams, Redis 7 or later) or mqtt (an MQTT 5 broker such as mosquitto). rabbitmq is not built yet.",
        ["embedded", "nats", "rabbitmq", "redis", "mqtt"]);

    public static readonly Arg<string?> Ack = Arg.Enum("ack",
        "auto: a delivered message is done at once; manual: it is leased for `visibility` and delivered again unless acked with its receipt.",
        ["auto", "manual"], "auto");

    public static readonly Arg<TimeSpan?> Visibility = Arg.Duration("visibility",
        "With ack=manual: how long a delivered message stays invisible to other consumers before it is delivered again (NATS: the consumer's ack_wait, set by create).", TimeSpan.FromSeconds(30), examples: ["30s", "5m"]);

    public static readonly Arg<IReadOnlyList<string>> Receipts = Arg.List("receipt", "Receipts from a consume with ack=manual (one or more).",
        required: true, positional: true, aliases: ["receipts"], examples: ["17.3f9c0a1b2c3d4e5f"]);

    public static readonly Arg<bool> Force = Arg.Bool("force", "Go ahead although the queue still holds messages (they are lost).");

    public static TimeSpan VisibilityOf(VerbContext ctx)
    {
        var v = ctx.Get(Visibility) ?? TimeSpan.FromSeconds(30);
        if (v <= TimeSpan.Zero || v > TimeSpan.FromDays(1))
            throw ReshError.Usage("visibility= must be longer than zero and at most 1d.", "Example: visibility=30s").ToException();
        return v;
    }

    public static MqTake TakeOf(VerbContext ctx, int count) =>
        new(count, ctx.Get(Ack) == "manual", VisibilityOf(ctx), ctx.IsSet(Visibility));

    public static IReadOnlyList<string> ReceiptsOf(VerbContext ctx)
    {
        var list = ctx.Get(Receipts);
        if (list.Count == 0) throw ReshError.Usage("No receipt given.", "Example: resh mq:///jobs.ack 17.3f9c0a1b2c3d4e5f").ToException();
        return list;
    }

    public static string Clip(string s)
    {
        var e = Resh.Core.Text.TerminalText.Escape(s);
        return e.Length > 60 ? e[..60] + "…" : e;
    }
}
