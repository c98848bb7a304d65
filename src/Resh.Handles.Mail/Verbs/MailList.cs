using MailKit;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mail;

public static class MailList
{
    static readonly Arg<bool> Counts = Arg.Bool("counts", "Also give each folder's message and unseen counts (one STATUS per folder).", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "List the folders of an IMAP mailbox with their attributes (special use: sent, trash...) and message counts.",
        [Counts, .. MailArgs.Common], () => MailJson.Default.MailListResult, RunAsync,
        examples: [new("mail://ann@127.0.0.1:1143.list password=env:IMAP_PASSWORD", "Folders of ann's mailbox.")]);

    static ValueTask<Outcome<MailListResult>> RunAsync(VerbContext ctx) => MailCall.RunAsync<MailListResult>(ctx, MailProtocol.Imap, async (session, ct) =>
    {
        var client = session.Imap;
        var folders = new List<MailFolder>();
        var wantCounts = ctx.Get(Counts);
        foreach (var ns in client.PersonalNamespaces)
        {
            var all = await client.GetFoldersAsync(ns, StatusItems.None, false, ct).ConfigureAwait(false);
            foreach (var f in all.OrderBy(f => f.FullName, StringComparer.Ordinal))
            {
                long? messages = null, unseen = null;
                var selectable = (f.Attributes & (FolderAttributes.NoSelect | FolderAttributes.NonExistent)) == 0;
                if (wantCounts && selectable)
                {
                    await f.StatusAsync(StatusItems.Count | StatusItems.Unread, ct).ConfigureAwait(false);
                    messages = f.Count;
                    unseen = f.Unread;
                }
                folders.Add(new MailFolder(f.FullName, f.Name, f.DirectorySeparator == '\0' ? null : f.DirectorySeparator.ToString(),
                    Attributes(f.Attributes), messages, unseen));
            }
        }
        if (!folders.Any(f => f.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase)))
        {
            var inbox = client.Inbox;
            long? messages = null, unseen = null;
            if (wantCounts)
            {
                await inbox.StatusAsync(StatusItems.Count | StatusItems.Unread, ct).ConfigureAwait(false);
                messages = inbox.Count;
                unseen = inbox.Unread;
            }
            folders.Insert(0, new MailFolder(inbox.FullName, inbox.Name, null, Attributes(inbox.Attributes), messages, unseen));
        }
        return new MailListResult(session.Target.Server, folders);
    });

    static List<string> Attributes(FolderAttributes a)
    {
        var words = new List<string>();
        foreach (var (flag, word) in new (FolderAttributes, string)[]
        {
            (FolderAttributes.NoSelect, "noselect"), (FolderAttributes.NoInferiors, "noinferiors"), (FolderAttributes.HasChildren, "haschildren"),
            (FolderAttributes.HasNoChildren, "hasnochildren"), (FolderAttributes.Marked, "marked"), (FolderAttributes.Unmarked, "unmarked"),
            (FolderAttributes.Subscribed, "subscribed"), (FolderAttributes.All, "all"), (FolderAttributes.Archive, "archive"),
            (FolderAttributes.Drafts, "drafts"), (FolderAttributes.Flagged, "flagged"), (FolderAttributes.Junk, "junk"),
            (FolderAttributes.Sent, "sent"), (FolderAttributes.Trash, "trash"), (FolderAttributes.Inbox, "inbox"),
        })
            if ((a & flag) != 0) words.Add(word);
        return words;
    }
}
