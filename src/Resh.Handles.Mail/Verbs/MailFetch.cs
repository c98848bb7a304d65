using MailKit;
using MimeKit;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mail;

public static class MailFetch
{
    static readonly Arg<long?> Uid = Arg.Int("uid", "UID of the message (from .search).", required: true, min: 1, max: uint.MaxValue);
    static readonly Arg<string?> Dir = Arg.String("dir", "Save the attachments into this directory (created when missing); their paths are in `attachments[].saved_as`.", path: PathUse.Write);
    static readonly Arg<bool> Overwrite = Arg.Bool("overwrite", "Replace files of the same name in dir= (default: refuse with `conflict`, nothing overwritten).");
    static readonly Arg<bool> MarkSeen = Arg.Bool("mark_seen", "Set \\Seen on the message (default: read it without changing its flags).");
    static readonly Arg<long?> MaxSize = Arg.Size("max_size",
        "Largest message to fetch; a larger one (by its RFC822.SIZE, or by what the server really sends) is refused (`failed`) before it fills memory.", 64L << 20);
    static readonly Arg<long?> MaxText = Arg.Size("max_text", "Longest text and HTML body kept in the result; longer ones are cut and `truncated` is set.", 1L << 20);

    public static readonly VerbInfo Verb = VerbInfo.Define("fetch", Effect.Read,
        "Read one message of an IMAP folder: headers, text and HTML bodies, attachments (listed with sha256; saved safely with dir=).",
        [Uid, Dir, Overwrite, MarkSeen, MaxText, MaxSize, .. MailArgs.Common], () => MailJson.Default.MailFetchResult, RunAsync,
        examples:
        [
            new("mail://ann@127.0.0.1:1143/INBOX.fetch uid=3 password=env:IMAP_PASSWORD", "Headers, body and attachment list of message 3."),
            new("mail://ann@127.0.0.1:1143.fetch uid=3 dir=/tmp/att password=env:IMAP_PASSWORD", "Also save its attachments into /tmp/att."),
        ],
        notes: "Attachment file names come from the sender and are not trusted: only the last path component is kept, `..`, leading dots and control " +
               "characters are removed, files are created without following symbolic links, and an existing file is never replaced without overwrite=true. " +
               "Every part that is not the text or HTML body is listed (and saved with dir=), also one with no name and no disposition: it is called part-N.EXT (N its place, EXT from its type, .bin when unknown).");

    static ValueTask<Outcome<MailFetchResult>> RunAsync(VerbContext ctx) => MailCall.RunAsync<MailFetchResult>(ctx, MailProtocol.Imap, async (session, ct) =>
    {
        var uid = new UniqueId((uint)ctx.Get(Uid)!.Value);
        var markSeen = ctx.Get(MarkSeen);
        var folder = await MailQuery.OpenAsync(session, markSeen ? FolderAccess.ReadWrite : FolderAccess.ReadOnly, ct).ConfigureAwait(false);
        var summaries = await folder.FetchAsync([uid], MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.Size, ct).ConfigureAwait(false);
        if (summaries.Count == 0)
            return ReshError.NotFound($"No message with UID {uid.Id} in {folder.FullName}.", "List the UIDs with .search.");
        var maxSize = ctx.Get(MaxSize)!.Value;
        if (summaries[0].Size is { } announced && announced > maxSize)
            return ReshError.Failed($"Message {uid.Id} is {Resh.Core.Values.SizeValue.Format(announced)}, more than max_size ({Resh.Core.Values.SizeValue.Format(maxSize)}); it was not fetched.",
                "Raise max_size= to fetch it.", new System.Text.Json.Nodes.JsonObject { ["size"] = announced, ["max_size"] = maxSize });
        // What the server sends for BODY[] may not exceed what it announced (plus the FETCH framing), nor max_size.
        if (session.Guard is { } guard) guard.MaxReply = Math.Min(maxSize, (long)(summaries[0].Size ?? (ulong)maxSize)) is var bound ? bound + bound / 32 + (64 << 10) : 0; // framing and TLS records
        var message = await folder.GetMessageAsync(uid, ct).ConfigureAwait(false); // BODY.PEEK[]: flags unchanged
        if (session.Guard is { } g) g.MaxReply = MailSession.ImapMaxReply;
        if (markSeen) await folder.AddFlagsAsync(uid, MessageFlags.Seen, true, ct).ConfigureAwait(false);

        var max = (int)Math.Min(int.MaxValue, ctx.Get(MaxText)!.Value);
        var truncated = false;
        string? Cut(string? s)
        {
            if (s is null || s.Length <= max) return s;
            truncated = true;
            return s[..max];
        }

        var dir = ctx.Get(Dir);
        using var saver = dir is null ? null : AttachmentSaver.Open(dir, ctx.Get(Overwrite));
        var attachments = new List<MailAttachment>();
        var parts = Parts(message);
        // Every name is checked before the first file is written: a conflict leaves dir= as it was.
        saver?.CheckFree(parts.Select((p, i) => AttachmentSaver.SafeName(p.Name, i + 1)).ToList());
        var index = 0;
        foreach (var (entity, name) in parts)
        {
            index++;
            byte[] bytes;
            using (var buffer = new MemoryStream())
            {
                if (entity is MimePart part) part.Content?.DecodeTo(buffer, ct);
                else if (entity is MessagePart mp) mp.Message?.WriteTo(buffer, ct);
                bytes = buffer.ToArray();
            }
            string? saved = null;
            if (saver is not null && !ctx.DryRun)
            {
                try { saved = saver.Save(AttachmentSaver.SafeName(name, index), bytes); }
                catch (ReshException e) when (attachments.Any(a => a.SavedAs is not null))
                {
                    // Something changed under us after the check: say what was already written.
                    var details = e.Error.Details ?? new System.Text.Json.Nodes.JsonObject();
                    details["saved"] = new System.Text.Json.Nodes.JsonArray(attachments.Where(a => a.SavedAs is not null).Select(a => (System.Text.Json.Nodes.JsonNode?)a.SavedAs).ToArray());
                    return e.Error with { Code = Resh.Core.Errors.ErrorCode.Partial, Details = details };
                }
            }
            attachments.Add(new MailAttachment(name ?? AttachmentSaver.SafeName(null, index), entity.ContentType.MimeType, bytes.LongLength, MailCall.Sha256(bytes), saved));
        }

        var summary = summaries[0];
        var flags = MailCall.Flags(summary.Flags | (markSeen ? MessageFlags.Seen : MessageFlags.None), summary.Keywords);
        var result = new MailFetchResult(session.Target.Server, folder.FullName, uid.Id, message.MessageId, MailQuery.Iso(message.Date),
            message.From.ToString(), message.To.Mailboxes.Select(m => m.ToString()).ToList(), message.Cc.Mailboxes.Select(m => m.ToString()).ToList(),
            message.Subject, message.Headers.Select(h => new MailHeader(h.Field, h.Value)).ToList(),
            Cut(message.TextBody), Cut(message.HtmlBody), truncated, attachments, summary.Size ?? 0, flags);
        return (attachments.Any(a => a.SavedAs is not null) || markSeen) ? Outcome.Changed(result) : result;
    });

    /// <summary>
    /// The parts of a message that are not its text or HTML body, in order, with the name the message gives them:
    /// attachments (by disposition or file name), embedded messages, and every other leaf a reader would otherwise
    /// never see, such as an application/octet-stream part with no name and no disposition (it gets a generated
    /// name, part-N with the type's usual extension). Text parts that are the body shown in text or html are left out.
    /// </summary>
    internal static List<(MimeEntity Entity, string? Name)> Parts(MimeMessage message)
    {
        var text = message.TextBody;
        var html = message.HtmlBody;
        var parts = new List<(MimeEntity Entity, string? Name)>();
        foreach (var entity in message.BodyParts)
        {
            if (entity is MessagePart mp)
            {
                parts.Add((entity, mp.ContentDisposition?.FileName ?? (mp.Message?.Subject is { Length: > 0 } s ? s + ".eml" : null)));
                continue;
            }
            if (entity is not MimePart part) continue;
            if (!part.IsAttachment && part is TextPart tp && (tp.IsPlain && tp.Text == text || tp.IsHtml && tp.Text == html)) continue;
            parts.Add((entity, part.FileName ?? Generated(part, parts.Count + 1)));
        }
        return parts;
    }

    static string Generated(MimePart part, int index) =>
        $"part-{index}{(MimeTypes.TryGetExtension(part.ContentType.MimeType, out var ext) && part.ContentType.MimeType != "application/octet-stream" ? ext : ".bin")}";
}
