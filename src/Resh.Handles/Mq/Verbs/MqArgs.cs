using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

static class MqArgs
{
    public static readonly Arg<string?> Backend = Arg.Enum("backend", "Where the queue lives: embedded (the state directory of this machine); the others are not built yet.",
        ["embedded", "nats", "rabbitmq", "redis", "mqtt"], "embedded");

    public static readonly Arg<string?> Ack = Arg.Enum("ack",
        "auto: a delivered message is done at once; manual: it is leased for `visibility` and delivered again unless acked with its receipt.",
        ["auto", "manual"], "auto");

    public static readonly Arg<TimeSpan?> Visibility = Arg.Duration("visibility",
        "With ack=manual: how long a delivered message stays invisible to other consumers before it is delivered again.", TimeSpan.FromSeconds(30), examples: ["30s", "5m"]);

    public static readonly Arg<IReadOnlyList<string>> Receipts = Arg.List("receipt", "Receipts from a consume with ack=manual (one or more).",
        required: true, positional: true, aliases: ["receipts"], examples: ["17.3f9c0a1b2c3d4e5f"]);

    public static readonly Arg<bool> Force = Arg.Bool("force", "Go ahead although the queue still holds messages (they are lost).");

    /// <summary>The queue named by the target, after checking the backend is one that exists.</summary>
    public static string Queue(VerbContext ctx)
    {
        if (ctx.Get(Backend) is { } b and not "embedded")
            throw ReshError.Unsupported($"The {b} backend of mq:// is not built yet; only the embedded queue is.",
                "Leave out backend= to use the embedded queue in the state directory.").ToException();
        return MqName.Of(ctx.Target);
    }

    public static TimeSpan VisibilityOf(VerbContext ctx)
    {
        var v = ctx.Get(Visibility) ?? TimeSpan.FromSeconds(30);
        if (v <= TimeSpan.Zero || v > TimeSpan.FromDays(1))
            throw ReshError.Usage("visibility= must be longer than zero and at most 1d.", "Example: visibility=30s").ToException();
        return v;
    }

    /// <summary>Parses SEQ.TOKEN receipts.</summary>
    public static List<(long Seq, string Token, string Text)> ParseReceipts(VerbContext ctx)
    {
        var list = new List<(long, string, string)>();
        foreach (var r in ctx.Get(Receipts))
        {
            var dot = r.IndexOf('.');
            if (dot <= 0 || !long.TryParse(r.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seq)
                || r.Length - dot - 1 != 16 || r.AsSpan(dot + 1).IndexOfAnyExcept("0123456789abcdef") >= 0)
                throw ReshError.Usage($"`{Clip(r)}` is not a receipt: a receipt is SEQ.TOKEN as consume ack=manual returned it.",
                    "Example: resh mq:///jobs.ack 17.3f9c0a1b2c3d4e5f").ToException();
            list.Add((seq, r[(dot + 1)..], r));
        }
        if (list.Count == 0) throw ReshError.Usage("No receipt given.", "Example: resh mq:///jobs.ack 17.3f9c0a1b2c3d4e5f").ToException();
        return list;
    }

    static string Clip(string s)
    {
        var e = Resh.Core.Text.TerminalText.Escape(s);
        return e.Length > 60 ? e[..60] + "…" : e;
    }

    public static void Forward(VerbContext ctx, MqQueue q)
    {
        foreach (var w in q.Warnings) ctx.Warn(w);
    }
}
