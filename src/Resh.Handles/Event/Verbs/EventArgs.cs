using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Event;

static class EventArgs
{
    public static readonly Arg<string?> Backend = Arg.Enum("backend", "Where the trail lives: embedded (the state directory of this machine) or nats (the JetStream server of the config's [events] url). Default: the config's [events] backend (nats when it has a url), else embedded.",
        ["embedded", "nats"]);

    public static readonly Arg<IReadOnlyList<string>> Where = Arg.List("where",
        "Field filters that must all hold: PATH=VALUE or PATH!=VALUE, PATH a dotted path into the event (data.version, source, who, correlation).",
        examples: ["data.version=1.2", "source!=ci"]);

    public static readonly Arg<string?> Since = Arg.String("since", "Only events at or after this time: a duration back from now (1h, 2d), a date or time (2026-12-06, 2026-12-06T10:00:00Z), @UNIXSECONDS.",
        examples: ["1h", "2026-12-06"]);

    public static readonly Arg<string?> Until = Arg.String("until", "Only events before this time (same forms as since).", examples: ["30m", "2026-12-06T12:00:00Z"]);

    public static readonly Arg<long?> After = Arg.Int("after", "Only events with a sequence number above this one (a cursor from an earlier list or follow).", min: 0, examples: ["1041"]);

    /// <summary>The topic pattern of the target (null: every topic).</summary>
    public static string? Pattern(VerbContext ctx) => EventTopic.OfTarget(ctx.Target, pattern: true);

    public static (long? Since, long? Until) Window(VerbContext ctx)
    {
        var now = DateTimeOffset.Now;
        long? since = ctx.Get(Since) is { } s ? Resh.Handles.Log.LogTime.ParseBound(s, "since", now).ToUnixTimeMilliseconds() : null;
        long? until = ctx.Get(Until) is { } u ? Resh.Handles.Log.LogTime.ParseBound(u, "until", now).ToUnixTimeMilliseconds() : null;
        return (since, until);
    }

    public static string Who()
    {
        var uid = LibC.GetEUid();
        return Users.UserName(uid) ?? uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public static void Forward(VerbContext ctx, EventStore store)
    {
        foreach (var w in store.Warnings) ctx.Warn(w);
    }
}
