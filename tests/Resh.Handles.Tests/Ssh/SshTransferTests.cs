using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

// The fleet's hosts share this machine's file system, so what a host wrote is checked here directly.
[Collection("ssh")]
public sealed class SshTransferTests(SshBackend ssh)
{
    [Fact]
    public void Uploading_a_file_copies_it_once_with_its_mode()
    {
        using var dir = new TempDir("sshup");
        var src = dir.File("app.conf", "listen 8080\n");
        var dest = Path.Combine(dir.Path, "remote", "app.conf");
        Directory.CreateDirectory(Path.GetDirectoryName(dest)!);

        var run = ssh.Run($"ssh://box.upload(src={src},dest={dest},mode=0640)");
        Assert.True(run.Ok, run.ToString());
        Assert.True(run.Changed);
        Assert.True(run.Result!["verified"]!.GetValue<bool>());
        Assert.Equal("listen 8080\n", File.ReadAllText(dest));
        Assert.Equal((UnixFileMode)Convert.ToInt32("640", 8), File.GetUnixFileMode(dest));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(dest)!, ".*resh-*"));

        var again = ssh.Run($"ssh://box.upload(src={src},dest={dest},mode=0640)");
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed);
        Assert.Equal(1, again.Result!["unchanged"]!.GetValue<int>());
    }

    [Fact]
    public void Uploading_a_tree_copies_only_what_differs()
    {
        using var dir = new TempDir("sshtree");
        dir.File("site/index.html", "<h1>hi</h1>");
        dir.File("site/css/a.css", "body{}");
        dir.File("site/img/logo.bin", new string('x', 300_000));
        var dest = Path.Combine(dir.Path, "deployed");

        var first = ssh.Run($"ssh://reshf2.upload(src={dir["site"]},dest={dest})");
        Assert.True(first.Ok, first.ToString());
        Assert.Equal(3, first.Result!["copied"]!.GetValue<int>());
        Assert.Equal("body{}", File.ReadAllText(Path.Combine(dest, "css", "a.css")));
        Assert.Equal(300_000, new FileInfo(Path.Combine(dest, "img", "logo.bin")).Length);

        File.WriteAllText(dir["site/index.html"], "<h1>bye</h1>");
        var dry = ssh.Run("--dry-run", $"ssh://reshf2.upload(src={dir["site"]},dest={dest})");
        Assert.True(dry.Changed);
        Assert.Equal("<h1>hi</h1>", File.ReadAllText(Path.Combine(dest, "index.html")));

        var second = ssh.Run($"ssh://reshf2.upload(src={dir["site"]},dest={dest})");
        Assert.True(second.Ok, second.ToString());
        Assert.Equal(1, second.Result!["copied"]!.GetValue<int>());
        Assert.Equal(2, second.Result!["unchanged"]!.GetValue<int>());
        Assert.Equal("<h1>bye</h1>", File.ReadAllText(Path.Combine(dest, "index.html")));
    }

    [Fact]
    public void Downloading_a_file_and_a_tree_is_verified_and_idempotent()
    {
        using var dir = new TempDir("sshdown");
        dir.File("remote/a.txt", "alpha");
        dir.File("remote/sub/b.txt", "beta");
        var local = Path.Combine(dir.Path, "copy");

        var tree = ssh.Run($"ssh://reshf3.download(src={dir["remote"]},dest={local})");
        Assert.True(tree.Ok, tree.ToString());
        Assert.True(tree.Changed);
        Assert.Equal("beta", File.ReadAllText(Path.Combine(local, "sub", "b.txt")));
        Assert.False(ssh.Run($"ssh://reshf3.download(src={dir["remote"]},dest={local})").Changed);

        var file = ssh.Run($"ssh://box.download(src={dir["remote/a.txt"]},dest={dir["one.txt"]})");
        Assert.True(file.Ok, file.ToString());
        Assert.Equal("alpha", File.ReadAllText(dir["one.txt"]));
        Assert.Equal(File.GetLastWriteTimeUtc(dir["remote/a.txt"]).ToString("s"), File.GetLastWriteTimeUtc(dir["one.txt"]).ToString("s"));
    }

    [Fact]
    public void A_transfer_on_a_terminal_draws_a_progress_bar()
    {
        using var dir = new TempDir("sshprog");
        var src = Path.Combine(dir.Path, "big.bin");
        File.WriteAllBytes(src, new byte[8 * 1024 * 1024]);
        var dest = Path.Combine(dir.Path, "big.copy");
        // script(1) gives resh a pseudo-terminal, as an operator's shell would.
        var env = string.Join(' ', ssh.Env().Select(kv => $"{kv.Key}='{kv.Value}'"));
        var (code, output, _) = SshBackend.Run(["script", "-qec", $"env {env} {ReshBinary.Path} 'ssh://box.upload(src={src},dest={dest})'", "/dev/null"],
            TimeSpan.FromSeconds(120), check: false);
        Assert.Equal(0, code);
        Assert.Contains("upload box [", output);
        Assert.Contains("100%", output);
        Assert.Equal(8 * 1024 * 1024, new FileInfo(dest).Length);
    }

    [Fact]
    public void Downloading_a_missing_path_is_not_found()
    {
        using var dir = new TempDir("sshdown2");
        Assert.Equal("not_found", ssh.Run($"ssh://box.download(src=/nonexistent/resh,dest={dir["x"]})").ErrorCode);
    }

    [Fact]
    public void Upload_creates_missing_parents_only_when_asked()
    {
        using var dir = new TempDir("sshparents");
        var src = dir.File("app.conf", "x=1\n");
        var dest = Path.Combine(dir.Path, "a", "b", "app.conf");
        Assert.Equal("not_found", ssh.Run($"ssh://box.upload(src={src},dest={dest})").ErrorCode);
        Assert.False(Directory.Exists(dir["a"]));
        var run = ssh.Run($"ssh://box.upload(src={src},dest={dest},parents=true)");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("x=1\n", File.ReadAllText(dest));
    }

    [Fact]
    public void Upload_skips_follows_or_keeps_symlinks_as_asked()
    {
        using var dir = new TempDir("sshlinks");
        dir.File("site/real.txt", "real");
        File.CreateSymbolicLink(dir["site/alias.txt"], "real.txt");
        File.CreateSymbolicLink(dir["site/dangling"], "/nonexistent/resh");

        var skip = ssh.Run($"ssh://box.upload(src={dir["site"]},dest={dir["skip"]})");
        Assert.True(skip.Ok, skip.ToString());
        Assert.False(File.Exists(dir["skip/alias.txt"]) || new FileInfo(dir["skip/alias.txt"]).LinkTarget is not null);
        Assert.Equal(2, skip.Envelope["warnings"]!.AsArray().Count);

        var follow = ssh.Run($"ssh://box.upload(src={dir["site"]},dest={dir["follow"]},links=follow)");
        Assert.True(follow.Ok, follow.ToString());
        Assert.Null(new FileInfo(dir["follow/alias.txt"]).LinkTarget);
        Assert.Equal("real", File.ReadAllText(dir["follow/alias.txt"]));

        var keep = ssh.Run($"ssh://box.upload(src={dir["site"]},dest={dir["keep"]},links=keep)");
        Assert.True(keep.Ok, keep.ToString());
        Assert.Equal("real.txt", new FileInfo(dir["keep/alias.txt"]).LinkTarget);
        Assert.Equal("/nonexistent/resh", new FileInfo(dir["keep/dangling"]).LinkTarget);
        Assert.False(ssh.Run($"ssh://box.upload(src={dir["site"]},dest={dir["keep"]},links=keep)").Changed);
    }

    [Fact]
    public void An_interrupted_uploads_temporary_file_is_removed_on_the_next_upload()
    {
        using var dir = new TempDir("sshtmp");
        var src = dir.File("app.conf", "v2\n");
        var dest = dir.File("remote/app.conf", "v1\n");
        var stale = dir.File("remote/.app.conf.resh-0123456789abcdef", "half");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-1));
        // A young one may be another upload's in flight (another caller, or a second host on the same file system): kept.
        dir.File("remote/.app.conf.resh-4242-1", "");
        var run = ssh.Run($"ssh://box.upload(src={src},dest={dest})");
        Assert.True(run.Ok, run.ToString());
        Assert.False(File.Exists(stale));
        Assert.Equal("v2\n", File.ReadAllText(dest));
        Assert.Equal([".app.conf.resh-4242-1", "app.conf"], Directory.GetFileSystemEntries(dir["remote"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Upload_and_download_with_become_reach_root_only_paths()
    {
        var (nopw, _) = ssh.BecomeUsers;
        using var dir = new TempDir("sshbecome");
        var secretDir = Path.Combine(dir.Path, "root-only");
        Directory.CreateDirectory(secretDir);
        File.SetUnixFileMode(secretDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var src = dir.File("conf/app.conf", "listen 80\n");
        var dest = Path.Combine(secretDir, "etc", "app.conf");

        Assert.Equal("permission_denied", ssh.Run($"ssh://{nopw}@box.upload(src={src},dest={dest},parents=true)").ErrorCode);
        var up = ssh.Run($"ssh://{nopw}@box.upload(src={src},dest={dest},parents=true,mode=0600,become=true)");
        Assert.True(up.Ok, up.ToString());
        Assert.True(up.Result!["verified"]!.GetValue<bool>());
        Assert.Equal("listen 80\n", File.ReadAllText(dest));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dest));
        Assert.False(ssh.Run($"ssh://{nopw}@box.upload(src={src},dest={dest},mode=0600,become=true)").Changed);

        var local = Path.Combine(dir.Path, "back", "app.conf");
        // Without become the login user cannot even see the file.
        Assert.Contains(ssh.Run($"ssh://{nopw}@box.download(src={dest},dest={local})").ErrorCode, new[] { "permission_denied", "not_found" });
        var down = ssh.Run($"ssh://{nopw}@box.download(src={dest},dest={local},become=true)");
        Assert.True(down.Ok, down.ToString());
        Assert.Equal("listen 80\n", File.ReadAllText(local));
    }
}
