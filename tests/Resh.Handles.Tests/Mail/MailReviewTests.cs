using System.Security.Cryptography;
using System.Text;
using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Mail;

/// <summary>
/// Findings of the issue-13 user review, through the native binary against the real Dovecot and aiosmtpd of
/// <see cref="MailBackend"/>: an unnamed application/octet-stream part is listed and saved (not dropped), a server that
/// never greets fails in the greeting phase (not tls), and a password sent in the clear with tls=none is warned about.
/// </summary>
[Collection("mail")]
public sealed class MailReviewTests(MailBackend mail)
{
    /// <summary>Delivers a raw message straight into the IMAP user's Maildir and returns its UID.</summary>
    string Drop(string subject, string body)
    {
        var text = $"From: sender@example.test\r\nTo: test@example.test\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@example.test>\r\nMIME-Version: 1.0\r\n{body}";
        var tmp = Path.Combine(mail.Maildir, "tmp", $"review.{Guid.NewGuid():N}");
        File.WriteAllText(tmp, text);
        var move = Shell.Run($"chown dovenull:dovenull {Shell.Q(tmp)} && mv {Shell.Q(tmp)} {Shell.Q(Path.Combine(mail.Maildir, "new"))}/");
        Assert.Equal(0, move.ExitCode);
        var found = ReshBinary.Run([$"{mail.Imap}.search", $"subject={subject}", .. mail.Auth]);
        Assert.True(found.Ok, found.ToString());
        Assert.Equal(1, found.Result!["matched"]!.GetValue<long>());
        return found.Result!["messages"]![0]!["uid"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void An_unnamed_octet_stream_part_is_listed_and_saved_not_dropped()
    {
        var blob = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var subject = $"unnamed {Guid.NewGuid():N}";
        var uid = Drop(subject,
            "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n" +
            "--XX\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nthe body\r\n" +
            $"--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n{Convert.ToBase64String(blob)}\r\n" +
            $"--XX\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"named.txt\"\r\n\r\nnamed\r\n" +
            "--XX--\r\n");
        using var tmp = new TempDir("mailparts");
        var dir = tmp["out"];
        var r = ReshBinary.Run([$"{mail.Imap}.fetch", $"uid={uid}", $"dir={dir}", .. mail.Auth]);
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("the body", r.Result!["text"]!.GetValue<string>().Trim());
        var attachments = r.Result!["attachments"]!.AsArray();
        Assert.Equal(2, attachments.Count);
        var unnamed = attachments.Single(a => a!["content_type"]!.GetValue<string>() == "application/octet-stream")!;
        Assert.Equal("part-1.bin", unnamed["name"]!.GetValue<string>());
        Assert.Equal(256, unnamed["size_bytes"]!.GetValue<long>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(blob)), unnamed["sha256"]!.GetValue<string>());
        var saved = unnamed["saved_as"]!.GetValue<string>();
        Assert.Equal(Path.Combine(dir, "part-1.bin"), saved);
        Assert.Equal(blob, File.ReadAllBytes(saved));
        Assert.Equal("named", File.ReadAllText(Path.Combine(dir, "named.txt")).Trim());
        // The body itself is not saved as a part.
        Assert.Equal(2, Directory.GetFiles(dir).Length);
    }

    [Fact]
    public void A_server_that_never_greets_fails_in_the_greeting_phase()
    {
        // Accepts and says nothing (like `nc -l`): the banner never comes, so TLS was never reached.
        using var silent = new LoopbackServer(async (s, ct) => await Task.Delay(Timeout.Infinite, ct));
        var r = ReshBinary.Run([$"mail://127.0.0.1:{silent.Port}.test", "timeout=2s"], wait: TimeSpan.FromSeconds(60));
        Assert.Equal("timeout", r.ErrorCode);
        Assert.Equal("greeting", r.Envelope["error"]!["details"]!["phase"]!.GetValue<string>());
        Assert.StartsWith("Greeting failed", r.Envelope["error"]!["message"]!.GetValue<string>());

        // One that closes at once: also the greeting, for IMAP as well.
        using var closing = new LoopbackServer((s, ct) => Task.CompletedTask);
        var c = ReshBinary.Run([$"mail://127.0.0.1:{closing.Port}.test", "protocol=imap", "timeout=5s"], wait: TimeSpan.FromSeconds(60));
        Assert.False(c.Ok, c.ToString());
        Assert.Equal("greeting", c.Envelope["error"]!["details"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public void A_password_sent_in_the_clear_with_tls_none_is_warned_about()
    {
        // SMTP: the plain relay offers AUTH without TLS.
        var smtp = ReshBinary.Run([$"mail://{MailBackend.User}@127.0.0.1:{mail.PlainPort}.test", "tls=none", $"password=file:{mail.PasswordFile}"]);
        Assert.True(smtp.Ok, smtp.ToString());
        Assert.True(smtp.Result!["authenticated"]!.GetValue<bool>());
        Assert.Contains(smtp.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("in the clear"));
        Assert.DoesNotContain(MailBackend.Password, smtp.Stdout + smtp.Stderr);

        // IMAP: Dovecot allows a plaintext login from loopback.
        var imap = ReshBinary.Run([$"{mail.Imap}.count", "tls=none", $"password=file:{mail.PasswordFile}"]);
        Assert.True(imap.Ok, imap.ToString());
        Assert.Contains(imap.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("in the clear"));

        // With TLS there is no such warning.
        var secure = ReshBinary.Run([$"{mail.Imap}.count", .. mail.Auth]);
        Assert.True(secure.Ok, secure.ToString());
        Assert.DoesNotContain(secure.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("in the clear"));
    }
}
