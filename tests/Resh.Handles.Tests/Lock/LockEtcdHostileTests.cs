using System.Net;
using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Lock;

/// <summary>
/// lock:// against an etcd that answers what no real etcd does (s32 attacker #4): a stand-in HTTP server in the test,
/// because a real etcd cannot be made to lie. An answer resh cannot read after the lock was taken is a `failed`
/// envelope naming etcd, the lease granted for it is revoked, and the exit status is not 0.
/// </summary>
public sealed class LockEtcdHostileTests : IDisposable
{
    readonly TempDir _dir = new("locketcdlie");
    readonly HttpListener _server = new();
    readonly List<string> _calls = [];
    readonly Dictionary<string, string> _env;
    volatile string _txnAnswer = """{"header":{"revision":"x1"},"succeeded":true}""";

    public LockEtcdHostileTests()
    {
        var port = LoopbackPorts.Free(1)[0];
        _server.Prefixes.Add($"http://127.0.0.1:{port}/");
        _server.Start();
        _ = Task.Run(ServeAsync);
        var home = _dir["home"];
        Directory.CreateDirectory(home);
        var config = _dir.File("config.toml", $"[lock.liar]\nurl = \"http://127.0.0.1:{port}\"\ntimeout = \"5s\"\n");
        _env = new Dictionary<string, string> { ["RESH_HOME"] = home, ["RESH_CONFIG"] = config };
    }

    async Task ServeAsync()
    {
        while (_server.IsListening)
        {
            HttpListenerContext c;
            try { c = await _server.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            var path = c.Request.Url!.AbsolutePath;
            using (var reader = new StreamReader(c.Request.InputStream)) lock (_calls) _calls.Add(path + " " + reader.ReadToEnd());
            var answer = path switch
            {
                "/v3/lease/grant" => """{"header":{"revision":"3"},"ID":"7587","TTL":"5"}""",
                // The put "succeeded", but the revision (the fence) is no number.
                "/v3/kv/txn" => _txnAnswer,
                _ => """{"header":{"revision":"3"}}""",
            };
            var bytes = Encoding.UTF8.GetBytes(answer);
            c.Response.ContentType = "application/json";
            c.Response.ContentLength64 = bytes.Length;
            await c.Response.OutputStream.WriteAsync(bytes);
            c.Response.Close();
        }
    }

    public void Dispose()
    {
        _server.Close();
        _dir.Dispose();
    }

    [Fact]
    public void An_unreadable_revision_after_the_put_is_a_failed_envelope_and_the_lease_is_revoked()
    {
        var run = ReshBinary.Run(["lock://liar/x.acquire", "--format", "json"], env: _env);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Equal("failed", run.ErrorCode);
        var message = run.Envelope["error"]!["message"]!.GetValue<string>();
        Assert.Contains("cannot read", message);
        Assert.DoesNotContain("bug in resh", run.Stdout);
        lock (_calls) Assert.Contains(_calls, c => c.StartsWith("/v3/lease/revoke", StringComparison.Ordinal) && c.Contains("7587"));
    }

    [Theory]
    [InlineData("""{"succeeded":true}""")]                              // no revision: it would read as fence 0
    [InlineData("""{"header":{"revision":"-5"},"succeeded":true}""")]   // no revision etcd makes
    public void A_fence_that_is_not_a_positive_revision_is_refused_and_the_lease_revoked(string txn)
    {
        _txnAnswer = txn;
        var run = ReshBinary.Run(["lock://liar/y.run", "--format", "json", "--", "/bin/sh", "-c", "echo ran > /dev/null"], env: _env);
        Assert.Equal("failed", run.ErrorCode);
        Assert.Contains("positive", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.NotEqual(0, run.ExitCode);
        lock (_calls) Assert.Contains(_calls, c => c.StartsWith("/v3/lease/revoke", StringComparison.Ordinal));
    }
}
