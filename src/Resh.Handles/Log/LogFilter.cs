using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Log;

/// <summary>The filters that search, read and stats share: pattern, level, since/until and where=FIELD=VALUE.</summary>
public sealed class LogFilter
{
    public LogMatcher? Pattern { get; init; }
    /// <summary>Keep this level and the more severe ones (0 emerg ... 7 debug).</summary>
    public int? Level { get; init; }
    public DateTimeOffset? Since { get; init; }
    public DateTimeOffset? Until { get; init; }
    public IReadOnlyList<(string Key, string Value)> Where { get; init; } = [];
    public string Format { get; init; } = "auto";
    public DateTimeOffset Now { get; init; }

    public bool HasTime => Since is not null || Until is not null;
    /// <summary>Lines must be parsed (time, level or fields are asked about), not only matched.</summary>
    public bool NeedsEntry => Level is not null || HasTime || Where.Count > 0;

    public static LogFilter From(VerbContext ctx, Arg<string?>? pattern, Arg<bool>? ignoreCase, Arg<string?>? level, Arg<IReadOnlyList<string>>? where, Arg<string?>? format)
    {
        var now = DateTimeOffset.Now;
        var since = ctx.Get(LogArgs.Since) is { } s ? LogTime.ParseBound(s, "since", now) : (DateTimeOffset?)null;
        var until = ctx.Get(LogArgs.Until) is { } u ? LogTime.ParseBound(u, "until", now) : (DateTimeOffset?)null;
        if (since is not null && until is not null && since > until)
            throw ReshError.Usage("since= is after until=.", "Give the earlier time as since=, e.g. since=2h until=1h.").ToException();
        var pairs = new List<(string, string)>();
        if (where is not null)
            foreach (var w in ctx.Get(where))
            {
                int eq = w.IndexOf('=');
                if (eq <= 0) throw ReshError.Usage($"where= `{w}` is not FIELD=VALUE.", "Example: where=status=500 where=app=sshd").ToException();
                pairs.Add((w[..eq], w[(eq + 1)..]));
            }
        return new LogFilter
        {
            Pattern = pattern is null ? null : LogMatcher.Create(ctx.Get(pattern), ignoreCase is not null && ctx.Get(ignoreCase)),
            Level = level is not null && ctx.Get(level) is { } l ? LogLevels.Of(l) : null,
            Since = since, Until = until, Where = pairs,
            Format = format is not null ? ctx.Get(format) ?? "auto" : "auto",
            Now = now,
        };
    }

    /// <summary>Whether a parsed line passes the level, time and field filters (time is its own or the last one seen before it).</summary>
    public bool Passes(LogEntry e, DateTimeOffset? time)
    {
        if (Level is { } max && (e.Level is not { } l || l > max)) return false;
        if (Since is { } s && (time is not { } t1 || t1 < s)) return false;
        if (Until is { } u && (time is not { } t2 || t2 >= u)) return false;
        foreach (var (k, v) in Where)
            if (!string.Equals(e.Get(k), v, StringComparison.Ordinal)) return false;
        return true;
    }
}
