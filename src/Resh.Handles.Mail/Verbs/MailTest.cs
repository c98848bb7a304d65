using System.Diagnostics;
using System.Globalization;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mail;

public static class MailTest
{
    static readonly Arg<string?> Protocol = Arg.Enum("protocol", "Which server the target is: smtp (default) or imap.", ["smtp", "imap"], "smtp");

    public static readonly VerbInfo Verb = VerbInfo.Define("test", Effect.Read,
        "Really connect to an SMTP or IMAP server: TCP connect, STARTTLS or TLS with the certificate checked, and AUTH when a user is given; the failing phase is named.",
        [Protocol, .. MailArgs.Common], () => MailJson.Default.MailTestResult, RunAsync,
        examples:
        [
            new("mail://127.0.0.1:2525.test", "Connect and STARTTLS (when offered) to a local SMTP server."),
            new("mail://ops@mail.example.com:993.test protocol=imap password=env:IMAP_PASSWORD", "IMAP over TLS with a login."),
        ],
        notes: "A failure is an error whose details carry `phase` (connect, tls, greeting, auth) and every phase run so far with its duration.");

    static async ValueTask<Outcome<MailTestResult>> RunAsync(VerbContext ctx)
    {
        var protocol = ctx.Get(Protocol) == "imap" ? MailProtocol.Imap : MailProtocol.Smtp;
        var t0 = Stopwatch.GetTimestamp();
        MailSession session;
        try { session = await MailSession.OpenAsync(ctx, protocol).ConfigureAwait(false); }
        catch (MailPhaseException e)
        {
            var m = e.Error.Message;
            return e.Error with { Message = $"{Word(e.Phase)} failed: {(m.Length > 1 && char.IsUpper(m[1]) ? m : char.ToLowerInvariant(m[0]) + m[1..])}" };
        }
        await using (session.ConfigureAwait(false))
        {
            MailTlsInfo? tls = null;
            if (session.Client.IsSecure)
            {
                var cert = session.Trust.LastCertificate;
                tls = new MailTlsInfo(session.Client.SslProtocol.ToString(), session.Client.SslCipherSuite?.ToString(),
                    cert?.Subject, cert?.Issuer, cert?.NotAfter.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                    cert is null ? null : (int)Math.Floor((cert.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays), !session.Trust.Insecure);
            }
            var mechanisms = session.Client.AuthenticationMechanisms.OrderBy(m => m, StringComparer.Ordinal).ToList();
            var capabilities = session.Client switch
            {
                SmtpClient s => Words(s.Capabilities.ToString()),
                ImapClient i => Words(i.Capabilities.ToString()),
                _ => [],
            };
            return new MailTestResult(protocol == MailProtocol.Smtp ? "smtp" : "imap", session.Target.Server,
                session.Phases.Select(p => new MailPhaseInfo(p.Phase, p.Ok, p.Ms, p.Detail)).ToList(), tls, session.Authenticated,
                mechanisms, capabilities, MailSession.Ms(t0));
        }
    }

    static List<string> Words(string flags) =>
        flags.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(w => w != "None").Select(w => w.ToLowerInvariant()).ToList();

    static string Word(string phase) => phase switch
    {
        "connect" => "Connect",
        "tls" => "TLS",
        "greeting" => "Greeting",
        "auth" => "Authentication",
        _ => phase,
    };
}
