using MailKit;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mail;

public static class MailSearch
{
    static readonly Arg<long?> Limit = Arg.Int("limit", "Most messages to list (newest first); `matched` still counts them all.", 50, min: 1, max: 10000);

    public static readonly VerbInfo Verb = VerbInfo.Define("search", Effect.Read,
        "Search an IMAP folder (the target's path, INBOX by default) by sender, recipient, subject, text, date and unseen; newest first.",
        [.. MailQuery.Criteria, Limit, .. MailArgs.Common], () => MailJson.Default.MailSearchResult, RunAsync,
        examples:
        [
            new("mail://ann@127.0.0.1:1143/INBOX.search unseen=true password=env:IMAP_PASSWORD", "Unread messages of ann's inbox."),
            new("mail://ann@127.0.0.1:1143.search from=alerts@example.com since=7d password=env:IMAP_PASSWORD", "Alerts of the last week."),
        ],
        notes: "The folder is read-only here (EXAMINE): searching never marks anything seen.");

    static ValueTask<Outcome<MailSearchResult>> RunAsync(VerbContext ctx) => MailCall.RunAsync<MailSearchResult>(ctx, MailProtocol.Imap, async (session, ct) =>
    {
        var query = MailQuery.Build(ctx);
        var folder = await MailQuery.OpenAsync(session, FolderAccess.ReadOnly, ct).ConfigureAwait(false);
        var uids = await folder.SearchAsync(query, ct).ConfigureAwait(false);
        var limit = (int)ctx.Get(Limit)!.Value;
        var picked = uids.OrderByDescending(u => u.Id).Take(limit).ToList();
        var messages = new List<MailSummary>();
        if (picked.Count > 0)
        {
            var summaries = await folder.FetchAsync(picked, MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.Flags
                | MessageSummaryItems.Size | MessageSummaryItems.InternalDate, ct).ConfigureAwait(false);
            foreach (var s in summaries.OrderByDescending(s => s.UniqueId.Id))
                messages.Add(Summary(s));
        }
        return new MailSearchResult(session.Target.Server, folder.FullName, uids.Count, messages, uids.Count > picked.Count);
    });

    internal static MailSummary Summary(IMessageSummary s) => new(
        s.UniqueId.Id,
        MailQuery.Iso(s.Envelope?.Date ?? s.InternalDate),
        s.Envelope?.From.ToString(),
        s.Envelope?.To.Mailboxes.Select(m => m.ToString()).ToList() ?? [],
        s.Envelope?.Subject,
        s.Envelope?.MessageId,
        s.Size,
        MailCall.Flags(s.Flags, s.Keywords));
}
