using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Mail;

[Description("One phase of opening a session.")]
public sealed record MailPhaseInfo(
    [property: Description("connect, tls (or greeting on plaintext), auth.")] string Phase,
    bool Ok,
    [property: Description("Duration of the phase in milliseconds.")] double Ms,
    string? Detail);

[Description("The TLS connection of a session.")]
public sealed record MailTlsInfo(
    [property: Description("Tls12, Tls13...")] string Protocol,
    string? Cipher,
    string? Subject,
    string? Issuer,
    [property: Description("Certificate expiry, RFC 3339 UTC.")] string? NotAfter,
    [property: Description("Whole days until the certificate expires (negative when expired).")] int? DaysLeft,
    [property: Description("False only with tls=insecure.")] bool Verified);

[Description("A file attached to a message.")]
public sealed record MailAttachment(
    [property: Description("The file name the message gives (as sent, before any cleaning); part-N.EXT for a part that names none.")] string Name,
    string ContentType,
    long SizeBytes,
    [property: Description("sha256 of the decoded bytes.")] string Sha256,
    [property: Description("Where fetch saved it (dir=), else null.")] string? SavedAs);

[Description("A message handed to the SMTP server.")]
public sealed record MailSendResult(
    [property: Description("host:port of the SMTP server.")] string Server,
    string MessageId,
    string From,
    IReadOnlyList<string> To,
    IReadOnlyList<string> Cc,
    [property: Description("Blind copies: in the envelope only, never in the message headers.")] IReadOnlyList<string> Bcc,
    string Subject,
    [property: Description("Size of the message as sent (headers and MIME body).")] long SizeBytes,
    IReadOnlyList<MailAttachment> Attachments,
    [property: Description("The server's answer to the message (null under --dry-run).")] string? Response,
    [property: Description("Whether the session was encrypted.")] bool Tls,
    bool Authenticated);

[Description("What a connection test found.")]
public sealed record MailTestResult(
    [property: Description("smtp or imap.")] string Protocol,
    string Server,
    [property: Description("Each phase that ran, in order, with its duration.")] IReadOnlyList<MailPhaseInfo> Phases,
    MailTlsInfo? Tls,
    bool Authenticated,
    [property: Description("SASL mechanisms the server offers (after STARTTLS).")] IReadOnlyList<string> AuthMechanisms,
    IReadOnlyList<string> Capabilities,
    double TotalMs);

[Description("An IMAP folder.")]
public sealed record MailFolder(
    [property: Description("Full name, the path to use in mail://SERVER/FOLDER.")] string FullName,
    string Name,
    [property: Description("Hierarchy separator.")] string? Separator,
    [property: Description("Attributes and special use: noselect, haschildren, sent, trash, drafts, junk, archive...")] IReadOnlyList<string> Attributes,
    [property: Description("Messages in the folder (null for a folder that cannot hold messages).")] long? Messages,
    [property: Description("Messages without \\Seen.")] long? Unseen);

[Description("The folders of a mailbox.")]
public sealed record MailListResult(string Server, IReadOnlyList<MailFolder> Folders);

[Description("A message summary.")]
public sealed record MailSummary(
    [property: Description("IMAP UID, stable within the folder: give it to fetch, move and delete.")] long Uid,
    string? Date,
    string? From,
    IReadOnlyList<string> To,
    string? Subject,
    string? MessageId,
    long? SizeBytes,
    [property: Description("seen, answered, flagged, deleted, draft and keywords.")] IReadOnlyList<string> Flags);

[Description("Messages of a folder matching the criteria, newest first.")]
public sealed record MailSearchResult(
    string Server,
    string Folder,
    [property: Description("How many messages matched (all of them, even when `messages` is cut at limit).")] long Matched,
    IReadOnlyList<MailSummary> Messages,
    [property: Description("True when more messages matched than limit allowed.")] bool Truncated);

[Description("Message counts of a folder.")]
public sealed record MailCountResult(
    string Server,
    string Folder,
    [property: Description("Messages in the folder.")] long Messages,
    [property: Description("Messages without \\Seen.")] long Unseen,
    [property: Description("Messages matching the criteria (all messages when none is given).")] long Matched);

[Description("A header line.")]
public sealed record MailHeader(string Name, string Value);

[Description("One message, read over IMAP.")]
public sealed record MailFetchResult(
    string Server,
    string Folder,
    long Uid,
    string? MessageId,
    string? Date,
    string? From,
    IReadOnlyList<string> To,
    IReadOnlyList<string> Cc,
    string? Subject,
    [property: Description("Every header in order, values unfolded and decoded.")] IReadOnlyList<MailHeader> Headers,
    [property: Description("The text/plain body (null when there is none).")] string? Text,
    [property: Description("The text/html body (null when there is none).")] string? Html,
    [property: Description("True when text or html was cut at max_text.")] bool Truncated,
    IReadOnlyList<MailAttachment> Attachments,
    long SizeBytes,
    IReadOnlyList<string> Flags);

[Description("What happened to each UID asked for.")]
public sealed record MailMoveResult(
    string Server,
    string Folder,
    [property: Description("Destination folder.")] string To,
    [property: Description("UIDs moved (or that would be, under --dry-run).")] IReadOnlyList<long> Moved,
    [property: Description("UID of each moved message in the destination, when the server says (UIDPLUS).")] IReadOnlyList<long> NewUids,
    [property: Description("UIDs that are not in the folder (nothing to do).")] IReadOnlyList<long> Missing);

[Description("What happened to each UID asked for.")]
public sealed record MailDeleteResult(
    string Server,
    string Folder,
    [property: Description("UIDs deleted (or that would be, under --dry-run).")] IReadOnlyList<long> Deleted,
    [property: Description("UIDs that are not in the folder (nothing to do).")] IReadOnlyList<long> Missing,
    [property: Description("True when the messages were expunged (removed); false leaves them flagged \\Deleted.")] bool Expunged);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MailSendResult))]
[JsonSerializable(typeof(MailTestResult))]
[JsonSerializable(typeof(MailListResult))]
[JsonSerializable(typeof(MailSearchResult))]
[JsonSerializable(typeof(MailCountResult))]
[JsonSerializable(typeof(MailFetchResult))]
[JsonSerializable(typeof(MailMoveResult))]
[JsonSerializable(typeof(MailDeleteResult))]
internal sealed partial class MailJson : JsonSerializerContext;
