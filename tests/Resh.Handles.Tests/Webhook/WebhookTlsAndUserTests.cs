using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Webhook.WebhookKit;

namespace Resh.Handles.Tests.Webhook;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>listen over HTTPS (cert= and key= PEM) with send trusting it by ca=; listen as the unprivileged `nobody`.</summary>
public sealed class WebhookTlsAndUserTests : IDisposable
{
    readonly TempDir _dir = new("resh-webhook-tls");
    static readonly Dictionary<string, string> Env = new() { ["HOOK_SECRET"] = HookSecret };

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Https_listener_with_pem_certificate_takes_a_delivery_from_send_with_ca()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(5));
        var certPem = _dir.File("hook.pem", cert.ExportCertificatePem());
        var keyPem = _dir.File("hook.key", key.ExportPkcs8PrivateKeyPem());
        var log = _dir["tls.log"];
        var port = FreePort();
        using var l = new Listener(port, _dir["state"], [$"webhook://127.0.0.1:{port}/secure.listen", "secret=env:HOOK_SECRET", $"cert={certPem}", $"key={keyPem}",
            $"action=file://{log}.append", "with:={\"content\":\"{{payload.ref}}\\n\"}", "count=1"], Env);
        Assert.StartsWith("https://", l.Url);
        // Without trusting the certificate, send fails on TLS and does not retry that (a refused handshake is no request: count= does not see it).
        var untrusted = ReshBinary.Run([$"webhook://https://127.0.0.1:{port}/secure.send", "secret=env:HOOK_SECRET", "json:={\"ref\":\"x\"}", "retries=3", "retry_backoff=50ms"], env: Env);
        Assert.Equal("failed", untrusted.ErrorCode);
        Assert.Single(untrusted.Envelope["error"]!["details"]!["attempts"]!.AsArray());
        var sent = ReshBinary.Run([$"webhook://https://127.0.0.1:{port}/secure.send", "secret=env:HOOK_SECRET", "json:={\"ref\":\"tls\"}", $"ca={certPem}", "retries=0"], env: Env);
        Assert.True(sent.Ok, sent.ToString());
        l.Finish();
        Assert.Equal("tls\n", File.ReadAllText(log));
    }

    [Fact]
    public void Nobody_can_listen_on_a_high_port_but_not_on_port_80()
    {
        Assert.Equal("0", Shell.Run("id -u").Stdout.Trim()); // the suite runs as root
        var state = _dir["nobody-state"];
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0x1ed);
        Shell.Run($"chown 65534:65534 {Shell.Q(state)}");
        var port = FreePort();
        string[] setpriv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];
        using (var l = new Listener(port, state, [$"webhook://127.0.0.1:{port}/n.listen", "secret=env:HOOK_SECRET", "count=1"], Env, setpriv))
        {
            Assert.Equal(200, Post(port, "/n", "{}", Generic("{}", "nobody-1")).Status);
            Assert.True(l.Finish().Ok);
        }
        // The replay log and its lock file, both the listener user's.
        var files = Directory.GetFiles(Path.Combine(state, "webhook"));
        Assert.Equal(2, files.Length);
        Assert.All(files, f => Assert.Equal(65534, StatUid(f)));
        var low = Shell.Run($"HOOK_SECRET={HookSecret} RESH_HOME={Shell.Q(state)} setpriv --reuid=65534 --regid=65534 --clear-groups -- {Shell.Q(ReshBinary.Path)} webhook://127.0.0.1:80/n.listen secret=env:HOOK_SECRET");
        Assert.Contains("\"permission_denied\"", low.Stdout);
        Assert.DoesNotContain(HookSecret, low.Stdout + low.Stderr);
    }

    static int StatUid(string path) => int.Parse(Shell.Run($"stat -c %u {Shell.Q(path)}").Stdout.Trim());
}
