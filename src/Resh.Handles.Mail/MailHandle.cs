using Resh.Core.Model;

namespace Resh.Handles.Mail;

/// <summary>mail:// — send and test over SMTP; list, search, count, fetch, move and delete over IMAP (MailKit/MimeKit).</summary>
public static class MailHandle
{
    public static HandleInfo Create() => new("mail",
        "Mail: send and test over SMTP, and the inbox over IMAP: list folders, search, count, fetch (attachments saved safely), move, delete (swaks and an IMAP client with typed answers).",
        "[user@]HOST[:PORT][/FOLDER] or NAME[/FOLDER] for a [mail.NAME] config table (url, smtp_url, imap_url, user, password, tls, ca). " +
        "The port is the protocol's: SMTP for send and test (default 25, 465 with tls=implicit), IMAP for the folder verbs and test protocol=imap (143, 993). " +
        "FOLDER is the IMAP folder (default INBOX).",
        [
            MailSend.Verb,
            MailTest.Verb,
            MailList.Verb,
            MailSearch.Verb,
            MailCount.Verb,
            MailFetch.Verb,
            MailMove.Verb,
            MailDelete.Verb,
        ])
    {
        Notes = "TLS is verified against the system store or ca=; tls=insecure skips the check and warns. A password (password=secret:NAME, env:VAR, file:PATH or @-) " +
                "is never on a command line, in the envelope or in --verbose output, and is not sent over a connection without TLS unless tls=none. " +
                "Header values (subject, addresses, header=) with CR, LF or NUL are refused before anything is sent.",
    };
}
