using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Mail;

/// <summary>
/// Hostile inputs: header injection through subject, addresses and header=; attachment names that try to leave
/// the destination or write through symbolic links (as root and as an unprivileged user); secrets on argv, in the
/// envelope and in --verbose; a server that offers no TLS when a password is to be sent.
/// </summary>
[Collection("mail")]
public sealed class MailHostileTests(MailBackend mail)
{
    [Theory]
    [InlineData("subject=hi\r\nBcc: evil@example.test")]
    [InlineData("subject=hi\nX-Injected: 1")]
    [InlineData("to=a@example.test\r\nBcc: evil@example.test")]
    [InlineData("cc=b@example.test\nSubject: forged")]
    [InlineData("from=ops@example.test\r\nReply-To: evil@example.test")]
    [InlineData("header=X-Ok: fine\r\nBcc: evil@example.test")]
    public void Line_breaks_in_header_values_are_refused_before_anything_is_sent(string hostile)
    {
        var before = mail.Delivered();
        List<string> args = [$"{mail.Smtp}.send", "text=x", .. mail.Auth, hostile];
        if (!hostile.StartsWith("to=", StringComparison.Ordinal)) args.Add("to=a@example.test");
        var run = ReshBinary.Run(args);
        Assert.Equal("usage", run.ErrorCode);
        Assert.Equal(before, mail.Delivered());
        Assert.DoesNotContain("evil@example.test", File.ReadAllText(Path.Combine(mail.Dir, "smtp.log")));
    }

    [Theory]
    [InlineData("header=Bcc: evil@example.test")]
    [InlineData("header=Content-Type: text/html")]
    [InlineData("header=Bad Name: x")]
    [InlineData("to=not-an-address")]
    [InlineData("to=a@example.test>, <evil@example.test")]
    public void Reserved_headers_and_malformed_addresses_are_usage_errors(string hostile)
    {
        var before = mail.Delivered();
        List<string> args = [$"{mail.Smtp}.send", "text=x", "subject=s", .. mail.Auth, hostile];
        if (!hostile.StartsWith("to=", StringComparison.Ordinal)) args.Add("to=a@example.test");
        var run = ReshBinary.Run(args);
        Assert.Equal("usage", run.ErrorCode);
        Assert.Equal(before, mail.Delivered());
    }

    [Fact]
    public void The_password_never_appears_in_the_envelope_or_verbose_log()
    {
        var env = new Dictionary<string, string> { ["MAIL_PW"] = MailBackend.Password };
        var viaEnv = ReshBinary.Run([$"{mail.Smtp}.send", "--verbose", "to=a@example.test", "subject=secret check", "text=x", $"ca={mail.Ca}", "password=env:MAIL_PW"], env: env);
        Assert.True(viaEnv.Ok, viaEnv.ToString());
        Assert.DoesNotContain(MailBackend.Password, viaEnv.Stdout + viaEnv.Stderr);
        Assert.Empty(viaEnv.Envelope["warnings"]!.AsArray());

        // A literal works but is warned about (argv is readable by other users) and is still redacted everywhere.
        var literal = ReshBinary.Run([$"{mail.Imap}.count", "--verbose", $"ca={mail.Ca}", $"password={MailBackend.Password}"]);
        Assert.True(literal.Ok, literal.ToString());
        Assert.DoesNotContain(MailBackend.Password, literal.Stdout + literal.Stderr);
        Assert.NotEmpty(literal.Envelope["warnings"]!.AsArray());

        // A failed login does not echo it either.
        var wrong = ReshBinary.Run([$"{mail.Imap}.count", "--verbose", $"ca={mail.Ca}", "password=env:MAIL_PW", "user=nobody-here"], env: env);
        Assert.Equal("permission_denied", wrong.ErrorCode);
        Assert.DoesNotContain(MailBackend.Password, wrong.Stdout + wrong.Stderr);
    }

    [Fact]
    public void No_password_is_sent_to_a_server_that_offers_no_tls()
    {
        var before = mail.Delivered();
        var run = ReshBinary.Run($"mail://test@127.0.0.1:{mail.PlainPort}.send", "to=a@example.test", "subject=downgrade", "text=x",
            $"password=file:{mail.PasswordFile}");
        Assert.Equal("failed", run.ErrorCode);
        Assert.Equal("auth", run.Envelope["error"]!["details"]!["phase"]!.GetValue<string>());
        Assert.Equal(before, mail.Delivered());
    }

    /// <summary>Drops a message with attacker-chosen attachment names straight into the IMAP Maildir.</summary>
    string DropHostileMessage(params (string Name, string Content)[] attachments)
    {
        var subject = $"hostile {Guid.NewGuid():N}";
        var sb = new StringBuilder();
        sb.Append($"From: attacker@example.test\r\nTo: test@example.test\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@example.test>\r\n");
        sb.Append("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n");
        foreach (var (name, content) in attachments)
            sb.Append($"--XX\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n" +
                      $"Content-Transfer-Encoding: base64\r\n\r\n{Convert.ToBase64String(Encoding.UTF8.GetBytes(content))}\r\n");
        sb.Append("--XX--\r\n");
        var tmp = Path.Combine(mail.Maildir, "tmp", $"hostile.{Guid.NewGuid():N}");
        File.WriteAllText(tmp, sb.ToString());
        var chown = Shell.Run($"chown dovenull:dovenull {Shell.Q(tmp)} && mv {Shell.Q(tmp)} {Shell.Q(Path.Combine(mail.Maildir, "new"))}/");
        Assert.Equal(0, chown.ExitCode);
        var found = ReshBinary.Run([$"{mail.Imap}.search", $"subject={subject}", .. mail.Auth]);
        Assert.Equal(1, found.Result!["matched"]!.GetValue<long>());
        return found.Result!["messages"]![0]!["uid"]!.GetValue<long>().ToString();
    }

    static readonly (string, string)[] HostileNames =
    [
        ("../../escape.txt", "ESCAPE"),
        ("/tmp/resh-mail-absolute.txt", "ABSOLUTE"),
        ("..", "DOTDOT"),
        ("sub/dir/nested.txt", "NESTED"),
        ("..\\..\\win.txt", "WIN"),
        (".hidden", "HIDDEN"),
        ("victim.txt", "ATTACKER"),
    ];

    static List<string> Tree(string root) => Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
        .Select(p => Path.GetRelativePath(root, p)).OrderBy(p => p, StringComparer.Ordinal).ToList();

    [Fact]
    public void Attachment_names_cannot_leave_the_directory_or_write_through_a_symlink()
    {
        using var tmp = new TempDir("mailatt");
        var outside = tmp.File("outside/victim.txt", "ORIGINAL");
        var dir = tmp["work/out"];
        Directory.CreateDirectory(dir);
        File.CreateSymbolicLink(Path.Combine(dir, "victim.txt"), outside);
        var uid = DropHostileMessage(HostileNames);

        // Without overwrite=true an existing name (here the planted symlink) is a conflict, and nothing is written through it.
        var refused = ReshBinary.Run([$"{mail.Imap}.fetch", $"uid={uid}", $"dir={dir}", .. mail.Auth]);
        Assert.Equal("conflict", refused.ErrorCode);
        Assert.Equal("ORIGINAL", File.ReadAllText(outside));
        Assert.NotNull(new FileInfo(Path.Combine(dir, "victim.txt")).LinkTarget);
        // Every name is checked before the first file is written: the conflict leaves dir= as it was (review of issue 13).
        Assert.Equal(new[] { "victim.txt" }, Directory.EnumerateFileSystemEntries(dir).Select(p => Path.GetFileName(p)!).ToArray());

        // overwrite=true replaces the link itself (rename over it), never the file it points at.
        var run = ReshBinary.Run([$"{mail.Imap}.fetch", $"uid={uid}", $"dir={dir}", "overwrite=true", .. mail.Auth]);
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("ORIGINAL", File.ReadAllText(outside));
        Assert.Null(new FileInfo(Path.Combine(dir, "victim.txt")).LinkTarget);
        Assert.Equal("ATTACKER", File.ReadAllText(Path.Combine(dir, "victim.txt")));
        Assert.False(File.Exists("/tmp/resh-mail-absolute.txt"));
        var expected = new[] { "attachment-3", "escape.txt", "hidden", "nested.txt", "resh-mail-absolute.txt", "victim.txt", "win.txt" }
            .Select(n => Path.Combine("work", "out", n)).Concat(["outside", Path.Combine("outside", "victim.txt"), "work", Path.Combine("work", "out")])
            .OrderBy(p => p, StringComparer.Ordinal);
        Assert.Equal(expected, Tree(tmp.Path));
        var saved = run.Result!["attachments"]!.AsArray().Select(a => a!["saved_as"]!.GetValue<string>()).ToList();
        Assert.All(saved, s => Assert.Equal(dir, Path.GetDirectoryName(s)));
        Assert.Equal("ESCAPE", File.ReadAllText(Path.Combine(dir, "escape.txt")));
        // The names the sender gave are reported as given, so an operator can see what was attempted.
        Assert.Contains("../../escape.txt", run.Result!["attachments"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()));
    }

    [Fact]
    public void Unprivileged_fetch_cannot_write_through_a_symlink_to_a_file_it_may_not_touch()
    {
        using var tmp = new TempDir("mailnobody");
        var rootFile = tmp.File("rootonly/victim.txt", "ROOT");
        var dir = tmp["out"];
        Directory.CreateDirectory(dir);
        File.CreateSymbolicLink(Path.Combine(dir, "victim.txt"), rootFile);
        var setup = Shell.Run($"chmod 755 {Shell.Q(tmp.Path)} && chown 65534:65534 {Shell.Q(dir)} && chmod 644 {Shell.Q(rootFile)}");
        Assert.Equal(0, setup.ExitCode);
        var uid = DropHostileMessage(HostileNames);

        var run = Shell.Run($"setpriv --reuid=65534 --regid=65534 --clear-groups \"$RESH\" {Shell.Q(mail.Imap + ".fetch")} uid={uid} " +
                            $"dir={Shell.Q(dir)} overwrite=true ca={Shell.Q(mail.Ca)} password=file:{Shell.Q(mail.PasswordFile)}");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("ROOT", File.ReadAllText(rootFile));
        Assert.Equal("ATTACKER", File.ReadAllText(Path.Combine(dir, "victim.txt")));
        var expected = new[] { "attachment-3", "escape.txt", "hidden", "nested.txt", "resh-mail-absolute.txt", "victim.txt", "win.txt" }
            .Select(n => Path.Combine("out", n)).Concat(["out", "rootonly", Path.Combine("rootonly", "victim.txt")]).OrderBy(p => p, StringComparer.Ordinal);
        Assert.Equal(expected, Tree(tmp.Path));
        var owners = Shell.Run($"stat -c %u {Shell.Q(dir)}/*").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(7, owners.Length);
        Assert.All(owners, o => Assert.Equal("65534", o));
    }
}
