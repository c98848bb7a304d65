using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>The cert:// calls issue 12 lists "exactly as written", run verbatim (as the shell splits them) through the native binary.</summary>
public sealed class CertExactCallsTests(CertCorpus corpus) : IClassFixture<CertCorpus>
{
    [Fact]
    public void The_issue_calls_work_exactly_as_written()
    {
        // ./resh cert:///etc/ssl/certs/ssl-cert-snakeoil.pem.info
        var info = Resh.Ok(Resh.Run("cert:///etc/ssl/certs/ssl-cert-snakeoil.pem.info"));
        Assert.Equal(Tool.Ok("openssl", "x509", "-in", "/etc/ssl/certs/ssl-cert-snakeoil.pem", "-noout", "-fingerprint", "-sha256").Trim().Split('=')[1],
            info["certificate"]!.Str("fingerprint_sha256"));

        // ./resh 'cert://127.0.0.1:8443.expiry(warn_days=30)'   (the port is fixed by the call: wait for it to be free)
        TlsServer? server = null;
        for (int i = 0; i < 60 && server is null; i++)
        {
            try { server = new TlsServer(corpus["leaf.pem"], corpus["leaf.key"], corpus["inter.pem"], port: 8443); }
            catch (InvalidOperationException) when (i < 59) { Thread.Sleep(500); }
        }
        using (server)
        {
            var expiry = Resh.Ok(Resh.Run("cert://127.0.0.1:8443.expiry(warn_days=30)"));
            Assert.InRange(expiry.Num("days_left"), 89, 90);
            Assert.Equal(30, expiry.Num("warn_days"));
        }

        // ./resh cert:///tmp/ca.pem ca.create 'subject=CN=Test CA'   (in a private /tmp, so the machine's /tmp is left alone)
        var script = "mount -t tmpfs tmpfs /tmp && \"$0\" cert:///tmp/ca.pem ca.create 'subject=CN=Test CA' && stat -c '%a %n' /tmp/ca.key /tmp/ca.pem"
            + " && openssl x509 -in /tmp/ca.pem -noout -subject -nameopt RFC2253";
        var (exit, stdout, stderr) = Tool.Run("unshare", "-m", "--propagation", "private", "sh", "-c", script, ReshBinary.Path);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("\"ok\":true", stdout.Replace(" ", ""));
        Assert.Contains("600 /tmp/ca.key", stdout);
        Assert.Contains("subject=CN=Test CA", stdout);
    }
}
