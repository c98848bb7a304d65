using System.Globalization;
using MailKit;
using MailKit.Search;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Values;

namespace Resh.Handles.Mail;

/// <summary>The search criteria search and count share, declared once, and the IMAP folder they run in.</summary>
internal static class MailQuery
{
    public static readonly Arg<string?> From = Arg.String("from", "Sender contains this text.");
    public static readonly Arg<string?> To = Arg.String("to", "A recipient contains this text.");
    public static readonly Arg<string?> Subject = Arg.String("subject", "Subject contains this text.");
    public static readonly Arg<string?> Text = Arg.String("text", "Headers or body contain this text.");
    public static readonly Arg<string?> Since = Arg.String("since", "Received on or after this date (YYYY-MM-DD) or within this long (7d, 12h).", examples: ["2026-12-01", "7d"]);
    public static readonly Arg<string?> Before = Arg.String("before", "Received before this date (YYYY-MM-DD) or longer ago than this (30d).");
    public static readonly Arg<bool> Unseen = Arg.Bool("unseen", "Only messages without the \\Seen flag.");

    public static ArgInfo[] Criteria => [From, To, Subject, Text, Since, Before, Unseen];

    public static bool Any(VerbContext ctx) => Criteria.Any(ctx.IsSet);

    public static SearchQuery Build(VerbContext ctx)
    {
        SearchQuery q = SearchQuery.All;
        void And(SearchQuery s) => q = ReferenceEquals(q, SearchQuery.All) ? s : q.And(s);
        if (ctx.Get(From) is { } f) And(SearchQuery.FromContains(f));
        if (ctx.Get(To) is { } t) And(SearchQuery.ToContains(t));
        if (ctx.Get(Subject) is { } s) And(SearchQuery.SubjectContains(s));
        if (ctx.Get(Text) is { } x) And(SearchQuery.MessageContains(x));
        if (ctx.Get(Since) is { } since) And(SearchQuery.DeliveredAfter(Date(since, "since"))); // IMAP SINCE: on or after the date
        if (ctx.Get(Before) is { } before) And(SearchQuery.DeliveredBefore(Date(before, "before")));
        if (ctx.Get(Unseen)) And(SearchQuery.NotSeen);
        foreach (var v in new[] { ctx.Get(From), ctx.Get(To), ctx.Get(Subject), ctx.Get(Text) }) MailCall.CheckHeaderText("a search text", v);
        return q;
    }

    static DateTime Date(string text, string arg)
    {
        if (DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d.Date;
        if (DurationValue.TryParse(text, out var ago) && ago >= TimeSpan.Zero && ago < TimeSpan.FromDays(365 * 100)) return (DateTime.Now - ago).Date;
        throw ReshError.Usage($"`{text}` in {arg}= is neither a date (YYYY-MM-DD) nor a duration (7d, 12h).", "Example: since=2026-12-01 or since=7d.").ToException();
    }

    /// <summary>Opens the folder the target names (INBOX by default).</summary>
    public static async Task<IMailFolder> OpenAsync(MailSession session, FolderAccess access, CancellationToken ct)
    {
        var name = session.Target.Folder;
        var folder = name.Equals("INBOX", StringComparison.OrdinalIgnoreCase)
            ? session.Imap.Inbox
            : await session.Imap.GetFolderAsync(name, ct).ConfigureAwait(false);
        await folder.OpenAsync(access, ct).ConfigureAwait(false);
        return folder;
    }

    public static string? Iso(DateTimeOffset? d) => d?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
