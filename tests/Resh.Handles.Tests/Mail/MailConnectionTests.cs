using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Mail;

/// <summary>mail://.test really connects and names the phase that failed; TLS is verified unless tls=insecure says otherwise.</summary>
[Collection("mail")]
public sealed class MailConnectionTests(MailBackend mail)
{
    static IEnumerable<string> Phases(ReshRun run) => run.Result!["phases"]!.AsArray().Select(p => p!["phase"]!.GetValue<string>());

    static string FailedPhase(ReshRun run) => run.Envelope["error"]!["details"]!["phase"]!.GetValue<string>();

    [Fact]
    public void Smtp_test_connects_starts_tls_against_the_ca_and_authenticates()
    {
        var run = ReshBinary.Run([$"{mail.Smtp}.test", .. mail.Auth]);
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(["connect", "tls", "auth"], Phases(run));
        Assert.True(run.Result!["authenticated"]!.GetValue<bool>());
        Assert.True(run.Result!["tls"]!["verified"]!.GetValue<bool>());
        Assert.Contains("resh mail test CA", run.Result!["tls"]!["issuer"]!.GetValue<string>());
        Assert.Contains("PLAIN", run.Result!["auth_mechanisms"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void Imap_test_connects_starts_tls_and_logs_in()
    {
        var run = ReshBinary.Run([$"{mail.Imap}.test", "protocol=imap", .. mail.Auth]);
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(["connect", "tls", "auth"], Phases(run));
        Assert.Contains("uidplus", run.Result!["capabilities"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void Certificate_verification_is_on_by_default_and_the_tls_phase_is_named()
    {
        var run = ReshBinary.Run($"mail://127.0.0.1:{mail.SmtpPort}.test");
        Assert.False(run.Ok);
        Assert.Equal("failed", run.ErrorCode);
        Assert.Equal("tls", FailedPhase(run));
        Assert.StartsWith("TLS failed", run.Envelope["error"]!["message"]!.GetValue<string>());

        var before = mail.Delivered();
        var send = ReshBinary.Run([$"{mail.Smtp}.send", "to=a@example.test", "subject=unverified", "text=x", $"password=file:{mail.PasswordFile}"]);
        Assert.Equal("failed", send.ErrorCode);
        Assert.Equal(before, mail.Delivered());
    }

    [Fact]
    public void Insecure_is_an_explicit_opt_in_with_a_warning()
    {
        var run = ReshBinary.Run($"mail://127.0.0.1:{mail.SmtpPort}.test", "tls=insecure");
        Assert.True(run.Ok, run.ToString());
        Assert.False(run.Result!["tls"]!["verified"]!.GetValue<bool>());
        Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("verification is off"));
    }

    [Fact]
    public void A_closed_port_fails_in_the_connect_phase()
    {
        var run = ReshBinary.Run("mail://127.0.0.1:1.test", "timeout=5s");
        Assert.Equal("unavailable", run.ErrorCode);
        Assert.Equal("connect", FailedPhase(run));
    }

    [Fact]
    public void A_wrong_password_fails_in_the_auth_phase()
    {
        var run = ReshBinary.Run([$"{mail.Smtp}.test", $"ca={mail.Ca}", "password=env:MAIL_WRONG"], env: new Dictionary<string, string> { ["MAIL_WRONG"] = "not-the-password" });
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Equal("auth", FailedPhase(run));
        Assert.DoesNotContain("not-the-password", run.Stdout + run.Stderr);
        var imap = ReshBinary.Run([$"{mail.Imap}.count", $"ca={mail.Ca}", "password=env:MAIL_WRONG"], env: new Dictionary<string, string> { ["MAIL_WRONG"] = "not-the-password" });
        Assert.Equal("permission_denied", imap.ErrorCode);
        Assert.Equal("auth", FailedPhase(imap));
    }

    [Fact]
    public void Starttls_required_against_a_plain_server_fails_in_the_tls_phase()
    {
        var run = ReshBinary.Run($"mail://127.0.0.1:{mail.PlainPort}.test", "tls=starttls");
        Assert.Equal("failed", run.ErrorCode);
        Assert.Equal("tls", FailedPhase(run));
    }

    [Fact]
    public void An_imap_port_given_to_send_is_a_clear_protocol_error()
    {
        var run = ReshBinary.Run([$"mail://127.0.0.1:{mail.ImapPort}.send", "to=a@example.test", "text=x", $"ca={mail.Ca}"]);
        Assert.False(run.Ok, run.ToString());
        Assert.NotNull(run.ErrorCode);
        Assert.DoesNotContain("   at ", run.Stdout + run.Stderr);   // no stack trace
    }
}
