using MailKit;
using MailKit.Search;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mail;

public static class MailCount
{
    public static readonly VerbInfo Verb = VerbInfo.Define("count", Effect.Read,
        "Count the messages of an IMAP folder (the target's path, INBOX by default): all, unseen, and those matching the criteria.",
        [.. MailQuery.Criteria, .. MailArgs.Common], () => MailJson.Default.MailCountResult, RunAsync,
        examples:
        [
            new("mail://ann@127.0.0.1:1143.count password=env:IMAP_PASSWORD", "Messages and unseen messages of the inbox."),
            new("mail://ann@127.0.0.1:1143/INBOX.count subject=backup since=1d password=env:IMAP_PASSWORD", "Backup reports received since yesterday."),
        ]);

    static ValueTask<Outcome<MailCountResult>> RunAsync(VerbContext ctx) => MailCall.RunAsync<MailCountResult>(ctx, MailProtocol.Imap, async (session, ct) =>
    {
        var query = MailQuery.Build(ctx);
        var folder = await MailQuery.OpenAsync(session, FolderAccess.ReadOnly, ct).ConfigureAwait(false);
        var unseen = (await folder.SearchAsync(SearchQuery.NotSeen, ct).ConfigureAwait(false)).Count;
        var matched = MailQuery.Any(ctx) ? (await folder.SearchAsync(query, ct).ConfigureAwait(false)).Count : folder.Count;
        return new MailCountResult(session.Target.Server, folder.FullName, folder.Count, unseen, matched);
    });
}
