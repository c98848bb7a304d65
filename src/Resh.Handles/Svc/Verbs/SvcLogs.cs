using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Svc.Systemd;

namespace Resh.Handles.Svc;

public static class SvcLogs
{
    static readonly Arg<long?> Lines = Arg.Int("lines", "How many of the most recent lines (0 = all).", 50, min: 0, aliases: ["n"]);
    static readonly Arg<string?> Since = Arg.String("since", "Only entries at or after this time (journalctl syntax: \"2026-01-02 03:04\", \"-1h\", today, @UNIXTIME).", examples: ["-1h", "today"]);
    static readonly Arg<string?> Until = Arg.String("until", "Only entries before this time (same syntax).");
    static readonly Arg<string?> Priority = Arg.Enum("priority", "Only this priority and more severe.",
        ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "0", "1", "2", "3", "4", "5", "6", "7"]);
    static readonly Arg<bool> Follow = Arg.Bool("follow", "Keep streaming new lines as NDJSON events until --timeout or Ctrl-C.", aliases: ["f"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("logs", Effect.Read,
        "A service's journal lines, filtered by time and priority; follow=true streams them.",
        [Lines, Since, Until, Priority, Follow, ServiceManagers.BackendArg], () => SvcJson.Default.SvcLogsResult, RunAsync,
        examples:
        [
            new("svc://nginx.logs", "The last 50 lines."),
            new("'svc://nginx.logs(since=-1h,priority=warning)'", "Warnings and worse from the last hour."),
            new("'svc://nginx.logs(follow=true)' --timeout 1m", "Stream new lines for a minute (NDJSON events, then the envelope)."),
        ],
        streams: true,
        notes: "Reads the journal with journalctl's JSON output. `--format raw` prints the lines as text (time, identifier[pid]: message), also when following and through ssh://HOST/ (each follow event carries that line as `text` beside its fields). A time journalctl cannot parse is `usage`; a journal the user may not read is `permission_denied`. OpenRC has no journal: there the verb is `unsupported`.");

    static async ValueTask<Outcome<SvcLogsResult>> RunAsync(VerbContext ctx)
    {
        var (mgr, name, _) = await SvcFlow.OpenExistingAsync(ctx).ConfigureAwait(false);
        using var _m = mgr;
        if (mgr.Backend != "systemd")
            return ReshError.Unsupported("OpenRC services have no journal.", "Read the service's own log file: resh file:///var/log/NAME.log.tail");
        var follow = ctx.Get(Follow);
        var argv = Journal.Args(name, ctx.Get(Lines) ?? 50, ctx.Get(Since), ctx.Get(Until), ctx.Get(Priority), follow);
        if (!follow)
        {
            var lines = await Journal.ReadAsync(argv, ctx.Cancellation).ConfigureAwait(false);
            var raw = new System.Text.StringBuilder();
            foreach (var l in lines) raw.Append(Text(l)).Append('\n');
            return new Outcome<SvcLogsResult>(new SvcLogsResult(name, lines.Count, lines, false), false).WithRaw(RawPayload.FromText(raw.ToString(), newline: false));
        }
        int count = 0;
        try
        {
            // Each event also carries the line as text: a person (table) or a pipe (raw) sees only that, here
            // or through ssh://HOST/svc://X.logs(follow=true), whose remote resh always answers in JSON.
            count = await Journal.FollowAsync(argv, l =>
            {
                count++;
                var ev = Journal.ToEvent(l);
                ev["text"] = Text(l);
                ctx.Events.Emit("line", ev);
            }, ctx.Cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.TimedOut)
        {
            // A follow that ends at --timeout is a normal end.
        }
        return new SvcLogsResult(name, count, [], true);
    }

    /// <summary>One line as journalctl -o short-iso prints it, without the host: time, identifier[pid]: message.</summary>
    static string Text(SvcLogLine l) =>
        $"{l.Ts} {l.Identifier ?? "-"}{(l.Pid is { } p ? $"[{p}]" : "")}: {l.Message.ReplaceLineEndings(" ")}";
}
