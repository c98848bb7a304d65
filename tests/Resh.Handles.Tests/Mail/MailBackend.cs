using System.Net;
using System.Net.Sockets;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Mail;

/// <summary>
/// The real mail servers of the mail:// tests, started once per collection by tests/setup/mail.sh on free loopback
/// ports: SMTP with STARTTLS and required AUTH (aiosmtpd), a plain SMTP relay (no TLS), and a private Dovecot IMAP
/// (STARTTLS) whose Maildir both SMTP servers deliver into, byte for byte. A test CA signs the server certificate.
/// Teardown stops all three by PID even when tests failed.
/// </summary>
public sealed class MailBackend : IDisposable
{
    public MailBackend()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"resh-mail-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(Dir);
        var ports = LoopbackPorts.Free(3);
        (SmtpPort, PlainPort, ImapPort) = (ports[0], ports[1], ports[2]);
        var up = Shell.Run($"{Shell.Q(Script)} up {Shell.Q(Dir)} {SmtpPort} {PlainPort} {ImapPort}", wait: TimeSpan.FromSeconds(60));
        if (up.ExitCode != 0)
        {
            Dispose();
            throw new InvalidOperationException($"tests/setup/mail.sh up failed (a missing backend fails the suite):\n{up}");
        }
    }

    public string Dir { get; }
    public int SmtpPort { get; }
    public int PlainPort { get; }
    public int ImapPort { get; }
    public const string User = "test";
    public const string Password = "testpw";
    public string Ca => Path.Combine(Dir, "ca.pem");
    public string PasswordFile => Path.Combine(Dir, "password");
    public string Maildir => Path.Combine(Dir, "mail", "test");
    public string Smtp => $"mail://{User}@127.0.0.1:{SmtpPort}";
    public string Imap => $"mail://{User}@127.0.0.1:{ImapPort}";
    /// <summary>The arguments of an authenticated, verified session (password from a file, never argv).</summary>
    public string[] Auth => [$"ca={Ca}", $"password=file:{PasswordFile}"];

    /// <summary>Messages delivered into the IMAP user's Maildir so far (any folder).</summary>
    public int Delivered() => Directory.EnumerateFiles(Path.Combine(Dir, "mail"), "*", SearchOption.AllDirectories)
        .Count(f => Path.GetFileName(Path.GetDirectoryName(f)) is "new" or "cur");

    static string Script => Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "mail.sh");


    public void Dispose()
    {
        Shell.Run($"{Shell.Q(Script)} down {Shell.Q(Dir)}", wait: TimeSpan.FromSeconds(30));
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition("mail")]
public sealed class MailCollection : ICollectionFixture<MailBackend>;
