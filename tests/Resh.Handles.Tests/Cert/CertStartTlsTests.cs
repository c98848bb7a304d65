using Resh.Handles.Tests.FileScheme;
using Resh.Handles.Tests.Mail;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>
/// cert://host:port with starttls=smtp|imap against the mail tests' real servers (aiosmtpd with STARTTLS, Dovecot IMAP),
/// compared with what openssl s_client -starttls fetches from the same port.
/// </summary>
[Collection("mail")]
public sealed class CertStartTlsTests(MailBackend mail)
{
    static string OpensslFingerprint(int port, string protocol)
    {
        var r = Shell.Run($"openssl s_client -connect 127.0.0.1:{port} -starttls {protocol} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256",
            wait: TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Trim().Split('=')[1];
    }

    [Theory]
    [InlineData("smtp")]
    [InlineData("imap")]
    public void The_certificate_after_starttls_is_the_one_openssl_s_client_gets(string protocol)
    {
        var port = protocol == "smtp" ? mail.SmtpPort : mail.ImapPort;
        var info = Resh.Ok(Resh.Run($"cert://127.0.0.1:{port}.info", $"starttls={protocol}"));
        Assert.Equal(OpensslFingerprint(port, protocol), info["certificate"]!.Str("fingerprint_sha256"));
        Assert.Equal("tls", info.Str("format"));
        var verify = Resh.Ok(Resh.Run($"cert://127.0.0.1:{port}.verify", $"starttls={protocol}", $"ca={mail.Ca}"));
        Assert.True(verify.Flag("valid"));
        Assert.Equal("127.0.0.1", verify.Str("hostname"));
        Resh.Ok(Resh.Run($"cert://127.0.0.1:{port}.expiry", $"starttls={protocol}"));
    }

    [Fact]
    public void A_plain_text_port_without_starttls_or_with_the_wrong_protocol_fails_with_a_hint()
    {
        var plain = Resh.Fails(Resh.Run($"cert://127.0.0.1:{mail.SmtpPort}.info", "--timeout", "10s"), "failed");
        Assert.Contains("starttls=", plain.Str("hint"));
        var wrong = Resh.Fails(Resh.Run($"cert://127.0.0.1:{mail.SmtpPort}.info", "starttls=imap", "--timeout", "10s"), "failed");
        Assert.Equal("greeting", wrong["details"]!.Str("step"));
        // The relay without TLS says no to STARTTLS: the server's answer is in the details.
        var noTls = Resh.Fails(Resh.Run($"cert://127.0.0.1:{mail.PlainPort}.info", "starttls=smtp", "--timeout", "10s"), "failed");
        Assert.Equal("STARTTLS", noTls["details"]!.Str("step"));
        Resh.Fails(Resh.Run($"cert://{mail.Ca}.info", "starttls=smtp"), "usage");
    }
}
