using System.Diagnostics;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

/// <summary>The build resh copies to a host: checked against its hash once per connection, replaced when it is not the build, pruned.</summary>
[Collection("ssh")]
public sealed class SshRemoteBinaryTests(SshBackend ssh)
{
    const string Impostor = "#!/bin/sh\ncat >/dev/null\necho '{\"ok\":true,\"handle\":\"file\",\"verb\":\"write\",\"target\":\"file:///etc/resh-impostor\",\"host\":\"local\"," +
                            "\"changed\":true,\"dry_run\":false,\"result\":{},\"error\":null,\"warnings\":[],\"duration_ms\":1,\"ts\":\"2026-01-01T00:00:00Z\"}'\n";

    string BuildDir()
    {
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(ReshBinary.Path))).ToLowerInvariant();
        return Path.Combine(ssh.RemoteCache, "resh", hash[..16]);
    }

    [Fact]
    public void A_truncated_build_is_found_on_the_next_connection_and_uploaded_again()
    {
        Assert.True(ssh.RunIn(ssh.NewStateDir(), "ssh://box/system://.hostname").Ok);
        var binary = Path.Combine(BuildDir(), "resh");
        using (var f = new FileStream(binary, FileMode.Open)) f.SetLength(4096); // a half-finished copy, still executable

        var run = ssh.RunIn(ssh.NewStateDir(), "ssh://box/system://.hostname");

        Assert.True(run.Ok, run.ToString());
        Assert.Equal(File.ReadAllBytes(ReshBinary.Path), File.ReadAllBytes(binary));
    }

    [Fact]
    public void A_replaced_build_never_answers_a_call()
    {
        var state = ssh.NewStateDir();
        Assert.True(ssh.RunIn(state, "ssh://box/system://.hostname").Ok); // this connection has checked the build
        var binary = Path.Combine(BuildDir(), "resh");
        try
        {
            File.WriteAllText(binary, Impostor);
            File.SetUnixFileMode(binary, (UnixFileMode)0x1c0);

            // Same connection: not hashed again, but an answer for another verb than the one asked is refused.
            var same = ssh.RunIn(state, "ssh://box/system://.hostname");
            Assert.False(same.Ok, same.ToString());
            Assert.Equal("failed", same.ErrorCode);
            Assert.Equal("system.hostname", same.Envelope["error"]!["details"]!["asked"]!.GetValue<string>());

            // A new connection hashes the build, finds the impostor and replaces it with the real one.
            var fresh = ssh.RunIn(ssh.NewStateDir(), "ssh://box/system://.hostname");
            Assert.True(fresh.Ok, fresh.ToString());
            Assert.Equal("system", fresh.Envelope["handle"]!.GetValue<string>());
            Assert.Equal(File.ReadAllBytes(ReshBinary.Path), File.ReadAllBytes(binary));
        }
        finally
        {
            if (new FileInfo(binary).Length != new FileInfo(ReshBinary.Path).Length) File.Delete(binary);
        }
    }

    [Fact]
    public void Stale_temporary_files_go_on_the_next_check_and_old_builds_are_pruned_on_upload()
    {
        Assert.True(ssh.RunIn(ssh.NewStateDir(), "ssh://box/system://.hostname").Ok);
        var build = BuildDir();
        var cache = Path.GetDirectoryName(build)!;
        var stale = Path.Combine(build, "resh.tmp.12345");
        File.WriteAllText(stale, "half an upload");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-1));
        // Five older builds; the config keeps three (this one and the two newest others).
        var old = Enumerable.Range(1, 5).Select(i => Path.Combine(cache, $"00000000000000{i:x2}")).ToList();
        for (int i = 0; i < old.Count; i++)
        {
            Directory.CreateDirectory(old[i]);
            File.WriteAllText(Path.Combine(old[i], "resh"), "old build");
            Directory.SetLastWriteTimeUtc(old[i], DateTime.UtcNow.AddDays(-10 + i));
        }

        Assert.True(ssh.RunIn(ssh.NewStateDir(), "ssh://box/system://.hostname").Ok); // a check: the stale temp goes
        Assert.False(File.Exists(stale));
        Assert.All(old, d => Assert.True(Directory.Exists(d))); // nothing is pruned without an upload

        File.Delete(Path.Combine(build, "resh"));
        var upload = ssh.RunIn(ssh.NewStateDir(), "ssh://box/system://.hostname");
        Assert.True(upload.Ok, upload.ToString());
        Assert.True(File.Exists(Path.Combine(build, "resh")));
        Assert.Equal(old.TakeLast(2), old.Where(Directory.Exists));
        Assert.Empty(Directory.GetFiles(build, "resh.tmp.*"));
        foreach (var d in old.Where(Directory.Exists)) Directory.Delete(d, true);
    }
}
