using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Mail;

internal enum MailProtocol { Smtp, Imap }

/// <summary>
/// The server a mail:// call talks to and the folder it names: <c>[user@]host[:port][/FOLDER]</c> or
/// <c>NAME[/FOLDER]</c> for a <c>[mail.NAME]</c> table (<c>url</c>, optional <c>smtp_url</c> and <c>imap_url</c>,
/// <c>user</c>, <c>password</c>, <c>tls</c>, <c>ca</c>). The port is the protocol's: 25/465 for SMTP, 143/993 for IMAP.
/// </summary>
internal sealed record MailTarget(Endpoint Endpoint, string Host, int Port, string? User, string Folder, MailProtocol Protocol)
{
    public string Server => (Host.Contains(':') ? $"[{Host}]" : Host) + ":" + Port;

    public static MailTarget Resolve(VerbContext ctx, MailProtocol protocol, bool implicitTls)
    {
        var target = ctx.Target;
        var slash = target.IndexOf('/');
        var authority = slash < 0 ? target : target[..slash];
        var folder = slash < 0 ? "" : target[(slash + 1)..].Trim('/');
        if (folder.Length == 0) folder = "INBOX";
        var endpoint = EndpointResolver.Resolve(ctx, "mail", authority, checkResolvable: true)
            ?? throw ReshError.Usage("mail:// needs a server: mail://HOST[:PORT], mail://user@HOST:PORT or mail://NAME for a [mail.NAME] table.",
                "Example: mail://127.0.0.1:2525.send(to=a@example.test,subject=hi,text=hello); or add [mail.default] with url = \"smtp://HOST:587\" to the config file.").ToException();
        string host = endpoint.Host;
        int? port = endpoint.Port;
        string? user = endpoint.User;
        var specific = endpoint.Setting(protocol == MailProtocol.Smtp ? "smtp_url" : "imap_url");
        if (specific is not null)
        {
            if (!Uri.TryCreate(specific, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
                throw ReshError.Usage($"The config value `mail.{endpoint.Profile}.{(protocol == MailProtocol.Smtp ? "smtp_url" : "imap_url")}` is not a URL: {specific}.",
                    "Write e.g. imap_url = \"imap://mail.example.com:993\".").ToException();
            host = uri.Host.Trim('[', ']');
            port = uri.IsDefaultPort || uri.Port < 0 ? null : uri.Port;
        }
        var defaultPort = protocol == MailProtocol.Smtp ? (implicitTls ? 465 : 25) : (implicitTls ? 993 : 143);
        return new MailTarget(endpoint, host, port ?? defaultPort, user, folder, protocol);
    }
}
