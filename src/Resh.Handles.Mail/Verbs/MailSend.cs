using MimeKit;
using MimeKit.IO;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mail;

public static class MailSend
{
    static readonly Arg<IReadOnlyList<string>> To = Arg.List("to", "Recipients (`a@example.com` or `Ann <a@example.com>`).", examples: ["a@example.test"]);
    static readonly Arg<IReadOnlyList<string>> Cc = Arg.List("cc", "Copy recipients.");
    static readonly Arg<IReadOnlyList<string>> Bcc = Arg.List("bcc", "Blind copy recipients: in the SMTP envelope only, never in the headers.");
    static readonly Arg<string?> From = Arg.String("from", "Sender address (default: the login user when it is an address, else USER@HOSTNAME).");
    static readonly Arg<string?> Subject = Arg.String("subject", "Subject line (one line: CR and LF are refused).", "");
    static readonly Arg<ContentSource?> Text = Arg.Content("text", "Plain-text body: text as given, @FILE, or @- for stdin.", examples: ["hello", "@body.txt"]);
    static readonly Arg<ContentSource?> Html = Arg.Content("html", "HTML body (with text=, the message is multipart/alternative).", examples: ["<p>hello</p>", "@body.html"]);
    static readonly Arg<IReadOnlyList<string>> Attach = Arg.List("attach", "Files to attach (their content type guessed from the name).", examples: ["report.pdf"], path: PathUse.Read);
    static readonly Arg<IReadOnlyList<string>> Header = Arg.List("header",
        "Extra header `Name: value` (repeat for more). From, To, Cc, Bcc, Subject, MIME and Content- headers come from their own arguments.", examples: ["Reply-To: ops@example.test", "X-Ticket: 42"]);

    const long MaxBody = 64L << 20;

    public static readonly VerbInfo Verb = VerbInfo.Define("send", Effect.Mutate,
        "Send a message over SMTP: to/cc/bcc, from, subject, text and HTML bodies, attachments, extra headers (swaks, sendmail with typed answers).",
        [To, Cc, Bcc, From, Subject, Text, Html, Attach, Header, .. MailArgs.Common], () => MailJson.Default.MailSendResult, RunAsync,
        examples:
        [
            new("'mail://127.0.0.1:2525.send(to=a@example.test,subject=hi,text=hello)'", "A plain-text message to a local relay."),
            new("mail://ops@smtp.example.com:587.send to=team@example.com subject='nightly report' text=@report.txt attach=report.csv password=secret:smtp/ops",
                "STARTTLS, AUTH as ops, a body from a file and an attachment."),
        ],
        notes: "Every header value is checked for CR, LF and NUL before anything is sent (no header injection). The password is resolved at call time and " +
               "never printed; it is not sent over a connection without TLS unless tls=none. --dry-run builds the message and reports it without connecting.");

    static async ValueTask<Outcome<MailSendResult>> RunAsync(VerbContext ctx)
    {
        var message = new MimeMessage();
        var to = Addresses(ctx.Get(To), "to");
        var cc = Addresses(ctx.Get(Cc), "cc");
        var bcc = Addresses(ctx.Get(Bcc), "bcc");
        if (to.Count + cc.Count + bcc.Count == 0)
            throw ReshError.Usage("No recipient.", "Give to= (and/or cc=, bcc=).").ToException();
        var subject = ctx.Get(Subject) ?? "";
        MailCall.CheckHeaderText("subject", subject);
        var from = ctx.Get(From);
        MailboxAddress sender;
        if (from is not null) sender = Addresses([from], "from")[0];
        else
        {
            var login = ctx.Get(MailArgs.User);
            sender = login is not null && login.Contains('@') && MailboxAddress.TryParse(login, out var m) ? m
                : new MailboxAddress("", $"{Environment.UserName}@{LocalHost()}");
        }
        message.From.Add(sender);
        message.To.AddRange(to);
        message.Cc.AddRange(cc);
        message.Subject = subject;
        message.Date = DateTimeOffset.Now;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(sender.Domain is { Length: > 0 } d && Resh.Core.Endpoints.EndpointResolver.IsHostName(d) ? d : "localhost");

        foreach (var line in ctx.Get(Header))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) throw ReshError.Usage($"`{line}` is not a header (Name: value).", "Example: header='X-Ticket: 42'.").ToException();
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            MailCall.CheckHeaderText($"header {name}", value);
            if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 127 || c == ':'))
                throw ReshError.Usage($"`{name}` is not a header name (printable ASCII without spaces or colons).", null).ToException();
            if (Reserved(name))
                throw ReshError.Usage($"The {name} header comes from its own argument or from MIME, not header=.", "Use from=, to=, cc=, bcc=, subject=, text=, html= or attach=.").ToException();
            message.Headers.Add(name, value);
        }

        var builder = new BodyBuilder();
        using (var text = ctx.Get(Text)) if (text is not null) builder.TextBody = text.ReadText((int)MaxBody);
        using (var html = ctx.Get(Html)) if (html is not null) builder.HtmlBody = html.ReadText((int)MaxBody);
        var attachments = new List<MailAttachment>();
        foreach (var path in ctx.Get(Attach))
        {
            byte[] bytes;
            try
            {
                if (Directory.Exists(path)) throw ReshError.Usage($"{path} is a directory; attach= takes files.", "Attach an archive of it (archive://).").ToException();
                bytes = await File.ReadAllBytesAsync(path, ctx.Cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw ExceptionTranslation.ToError(e, path).ToException();
            }
            var name = Path.GetFileName(path);
            var part = builder.Attachments.Add(name, bytes, ContentType.Parse(MimeTypes.GetMimeType(name)));
            attachments.Add(new MailAttachment(name, part.ContentType.MimeType, bytes.LongLength, MailCall.Sha256(bytes), null));
        }
        if (builder.TextBody is null && builder.HtmlBody is null && attachments.Count == 0) builder.TextBody = "";
        message.Body = builder.ToMessageBody();

        long size;
        using (var measure = new MeasuringStream())
        {
            message.WriteTo(FormatOptions.Default, measure, ctx.Cancellation);
            size = measure.Length;
        }
        var envelope = to.Concat(cc).Concat(bcc).ToList();
        MailSendResult Result(string server, string? response, bool tls, bool auth) => new(server, message.MessageId, sender.ToString(),
            to.Select(a => a.ToString()).ToList(), cc.Select(a => a.ToString()).ToList(), bcc.Select(a => a.ToString()).ToList(),
            subject, size, attachments, response, tls, auth);

        if (ctx.DryRun)
        {
            var target = MailSession.ResolveTarget(ctx, MailProtocol.Smtp);
            return Outcome.Changed(Result(target.Server, null, false, false));
        }
        return await MailCall.RunAsync(ctx, MailProtocol.Smtp, async (session, ct) =>
        {
            var response = await session.Smtp.SendAsync(message, sender, envelope, ct).ConfigureAwait(false);
            return Outcome.Changed(Result(session.Target.Server, response, session.Client.IsSecure, session.Authenticated));
        }).ConfigureAwait(false);
    }

    static bool Reserved(string name) =>
        name.Equals("From", StringComparison.OrdinalIgnoreCase) || name.Equals("To", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Cc", StringComparison.OrdinalIgnoreCase) || name.Equals("Bcc", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Subject", StringComparison.OrdinalIgnoreCase) || name.Equals("MIME-Version", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Sender", StringComparison.OrdinalIgnoreCase) || name.Equals("Message-Id", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Date", StringComparison.OrdinalIgnoreCase) ||
        name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses addresses; each must be one mailbox with an @, on one line.</summary>
    static List<MailboxAddress> Addresses(IReadOnlyList<string> values, string arg)
    {
        var list = new List<MailboxAddress>();
        foreach (var raw in values)
        {
            var v = raw.Trim();
            MailCall.CheckHeaderText($"{arg} address", v);
            var open = v.IndexOf('<');
            if ((open >= 0 || v.Contains('>')) && (open < 0 || v.IndexOf('<', open + 1) >= 0 || v.IndexOf('>') != v.Length - 1))
                throw ReshError.Usage($"`{v}` in {arg}= is not a mail address (unbalanced < >).", "Write a@example.com or 'Ann <a@example.com>'.").ToException();
            if (!MailboxAddress.TryParse(ParserOptions.Default, v, out var mailbox) || mailbox.Address is not { } a || !a.Contains('@')
                || a.StartsWith('@') || a.EndsWith('@') || a.Any(c => c <= ' ' || c == '<' || c == '>' || c == ','))
                throw ReshError.Usage($"`{v}` in {arg}= is not a mail address.", "Write a@example.com or 'Ann <a@example.com>'.").ToException();
            list.Add(mailbox);
        }
        return list;
    }

    static string LocalHost()
    {
        try
        {
            var h = System.Net.Dns.GetHostName();
            return Resh.Core.Endpoints.EndpointResolver.IsHostName(h) ? h : "localhost";
        }
        catch (System.Net.Sockets.SocketException) { return "localhost"; }
    }
}
