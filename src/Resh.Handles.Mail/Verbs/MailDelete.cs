using MailKit;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mail;

public static class MailDelete
{
    static readonly Arg<IReadOnlyList<string>> Uid = Arg.List("uid", "UIDs of the messages to delete (from .search).", required: true, examples: ["3", "3,7"]);
    static readonly Arg<bool> Expunge = Arg.Bool("expunge", "Remove the messages now (UID EXPUNGE of these UIDs only); false only flags them \\Deleted.", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("delete", Effect.Destroy,
        "Delete messages (by UID) from the target's folder (INBOX by default): flag them \\Deleted and expunge those UIDs.",
        [Uid, Expunge, .. MailArgs.Common], () => MailJson.Default.MailDeleteResult, RunAsync,
        examples: [new("mail://ann@127.0.0.1:1143/INBOX.delete uid=3 password=env:IMAP_PASSWORD", "Delete message 3.")],
        notes: "Only the UIDs given are expunged (UIDPLUS), never other messages already flagged \\Deleted; a server without UIDPLUS is refused unless expunge=false. " +
               "UIDs not in the folder are listed in `missing`; a second identical run reports changed: false. --dry-run deletes nothing.");

    static ValueTask<Outcome<MailDeleteResult>> RunAsync(VerbContext ctx) => MailCall.RunAsync<MailDeleteResult>(ctx, MailProtocol.Imap, async (session, ct) =>
    {
        var asked = MailCall.Uids(ctx.Get(Uid));
        var expunge = ctx.Get(Expunge);
        if (expunge && (session.Imap.Capabilities & MailKit.Net.Imap.ImapCapabilities.UidPlus) == 0)
            return Resh.Core.Errors.ReshError.Unsupported($"{session.Target.Server} has no UIDPLUS, so expunging would also remove other messages flagged \\Deleted.",
                "Give expunge=false to only flag the messages.");
        var folder = await MailQuery.OpenAsync(session, ctx.DryRun ? FolderAccess.ReadOnly : FolderAccess.ReadWrite, ct).ConfigureAwait(false);
        var (present, missing) = await MailCall.PresentAsync(folder, asked, ct).ConfigureAwait(false);
        if (present.Count > 0 && !ctx.DryRun)
        {
            await folder.AddFlagsAsync(present, MessageFlags.Deleted, true, ct).ConfigureAwait(false);
            if (expunge) await folder.ExpungeAsync(present, ct).ConfigureAwait(false);
        }
        var result = new MailDeleteResult(session.Target.Server, folder.FullName, present.Select(u => (long)u.Id).ToList(),
            missing.Select(u => (long)u.Id).ToList(), expunge);
        return Outcome.Changed(result, present.Count > 0);
    });
}
