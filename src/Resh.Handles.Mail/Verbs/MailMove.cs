using MailKit;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mail;

public static class MailMove
{
    static readonly Arg<IReadOnlyList<string>> Uid = Arg.List("uid", "UIDs of the messages to move (from .search).", required: true, examples: ["3", "3,7"]);
    static readonly Arg<string?> To = Arg.String("to", "Destination folder (full name, as .list shows it).", required: true, examples: ["Archive"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("move", Effect.Mutate,
        "Move messages (by UID) from the target's folder (INBOX by default) to another folder.",
        [Uid, To, .. MailArgs.Common], () => MailJson.Default.MailMoveResult, RunAsync,
        examples: [new("mail://ann@127.0.0.1:1143/INBOX.move uid=3 to=Archive password=env:IMAP_PASSWORD", "Move message 3 to Archive.")],
        notes: "UIDs that are not in the folder are listed in `missing` (nothing to do), so a second identical run reports changed: false. " +
               "--dry-run checks the folders and UIDs and moves nothing.");

    static ValueTask<Outcome<MailMoveResult>> RunAsync(VerbContext ctx) => MailCall.RunAsync<MailMoveResult>(ctx, MailProtocol.Imap, async (session, ct) =>
    {
        var asked = MailCall.Uids(ctx.Get(Uid));
        var destName = ctx.Get(To)!;
        MailCall.CheckHeaderText("to", destName);
        var dest = destName.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? session.Imap.Inbox : await session.Imap.GetFolderAsync(destName, ct).ConfigureAwait(false);
        var folder = await MailQuery.OpenAsync(session, ctx.DryRun ? FolderAccess.ReadOnly : FolderAccess.ReadWrite, ct).ConfigureAwait(false);
        if (dest.FullName == folder.FullName)
            return Resh.Core.Errors.ReshError.Usage($"The messages are already in {folder.FullName}.", "Give another folder with to=.");
        var (present, missing) = await MailCall.PresentAsync(folder, asked, ct).ConfigureAwait(false);
        var newUids = new List<long>();
        if (present.Count > 0 && !ctx.DryRun)
        {
            var map = await folder.MoveToAsync(present, dest, ct).ConfigureAwait(false);
            foreach (var u in present)
                if (map.TryGetValue(u, out var n)) newUids.Add(n.Id);
        }
        var result = new MailMoveResult(session.Target.Server, folder.FullName, dest.FullName, present.Select(u => (long)u.Id).ToList(), newUids,
            missing.Select(u => (long)u.Id).ToList());
        return Outcome.Changed(result, present.Count > 0);
    });
}
