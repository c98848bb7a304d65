using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

/// <summary>
/// Hostile and careful-operator cases of the write path: symlinks planted in sticky directories (as root
/// and as a user), follow=false, echo-like permission semantics, the in-place fallback, hard links, and
/// ACLs, extended attributes and inode flags carried to the new inode.
/// </summary>
public sealed class FileWriteSafetyTests
{
    const string OtherUser = "65533"; // a second unprivileged uid (no passwd entry needed)

    static ReshRun AsUser(string uid, params string[] args) =>
        Tool.RunResh(["setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", ReshBinary.Path, .. args]);

    static void AsUserOk(string uid, params string[] argv) =>
        Tool.Ok(["setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", .. argv]);

    /// <summary>Everything a victim file is: content, mode, owner, inode, mtime.</summary>
    static string Fingerprint(string path) => File.ReadAllText(path) + "|" + Tool.Stat("%a %u %g %i %Y", path);

    /// <summary>The whole area: every entry's type, mode, owner, size, inode, mtime and link target, and every file's content hash.</summary>
    static string AreaFingerprint(string root) =>
        Tool.Ok("find", root, "-printf", "%y %m %U %G %s %i %T@ %p -> %l\n") + Tool.Ok("bash", "-c", "find \"$1\" -type f -print0 | sort -z | xargs -0r sha256sum", "-", root);

    /// <summary>A sticky world-writable directory (like /tmp) owned by root, a root-only victim file, and a symlink
    /// to it planted in the sticky directory by nobody.</summary>
    sealed class StickyTrap : IDisposable
    {
        public readonly TempDir Dir = new("sticky");
        public string Sticky => Dir["tmp"];
        public string Victim => Dir["secret/shadow"];
        public string Link => Dir["tmp/link"];

        public StickyTrap(string victimOwner = "0", string victimMode = "0600")
        {
            Directory.CreateDirectory(Sticky);
            Tool.Ok("chmod", "1777", Sticky);
            Directory.CreateDirectory(Dir["secret"]);
            Tool.Ok("chmod", "0755", Dir["secret"]);
            File.WriteAllText(Victim, "root:secret\n");
            Tool.Ok("chown", $"{victimOwner}:{victimOwner}", Victim);
            Tool.Ok("chmod", victimMode, Victim);
            Tool.Ok("chmod", "0755", Dir.Path);
            AsUserOk("65534", "ln", "-s", Victim, Link);
        }

        public void Dispose() => Dir.Dispose();
    }

    [Fact]
    public void As_root_a_link_planted_by_another_user_in_a_sticky_directory_is_not_followed_by_any_content_verb()
    {
        using var trap = new StickyTrap();
        var before = Fingerprint(trap.Victim);
        var area = AreaFingerprint(trap.Dir.Path);
        string[][] calls =
        [
            [$"file://{trap.Link}.write", "content=owned\n"],
            [$"file://{trap.Link}.append", "content=owned\n"],
            [$"file://{trap.Link}.append", "content=owned\n", "atomic=true"],
            [$"file://{trap.Link}.replace", "pattern=secret", "replacement=owned"],
            [$"file://{trap.Link}.lines.ensure", "line=owned"],
            [$"file://{trap.Link}.touch", "time=2001-01-01T00:00:00Z"],
            [$"file://{trap.Link}.chmod", "mode=0666"],
            [$"file://{trap.Link}.chown", "owner=65534", "follow=true"],
        ];
        foreach (var call in calls)
        {
            var error = Resh.Fails(Resh.Run(call), "permission_denied");
            Assert.Contains("protected_symlinks", error["message"]!.GetValue<string>());
            Assert.Equal(before, Fingerprint(trap.Victim));
        }
        // The link itself and the rest of the area are untouched: no temporary files anywhere.
        Assert.Equal(trap.Victim, new FileInfo(trap.Link).LinkTarget);
        Assert.Equal(["link"], Directory.GetFileSystemEntries(trap.Sticky).Select(Path.GetFileName));
        Assert.Equal(["shadow"], Directory.GetFileSystemEntries(trap.Dir["secret"]).Select(Path.GetFileName));
        Assert.Equal(area, AreaFingerprint(trap.Dir.Path));
    }

    [Fact]
    public void As_a_user_a_link_planted_by_another_user_in_a_sticky_directory_is_not_followed()
    {
        using var trap = new StickyTrap(victimOwner: OtherUser, victimMode: "0644");
        var before = Fingerprint(trap.Victim);
        var area = AreaFingerprint(trap.Dir.Path);
        Resh.Fails(AsUser(OtherUser, $"file://{trap.Link}.write", "content=owned\n"), "permission_denied");
        Resh.Fails(AsUser(OtherUser, $"file://{trap.Link}.append", "content=owned\n"), "permission_denied");
        Resh.Fails(AsUser(OtherUser, $"file://{trap.Link}.chmod", "mode=0666"), "permission_denied");
        Resh.Fails(AsUser(OtherUser, $"file://{trap.Link}.replace", "pattern=secret", "replacement=owned"), "permission_denied");
        Resh.Fails(AsUser(OtherUser, $"file://{trap.Link}.lines.ensure", "line=owned"), "permission_denied");
        Resh.Fails(AsUser(OtherUser, $"file://{trap.Link}.touch"), "permission_denied");
        Assert.Equal(before, Fingerprint(trap.Victim));
        Assert.Equal(["link"], Directory.GetFileSystemEntries(trap.Sticky).Select(Path.GetFileName));
        Assert.Equal(area, AreaFingerprint(trap.Dir.Path));
    }

    [Fact]
    public void A_link_the_caller_or_the_directory_owner_made_is_followed_and_stays_a_link()
    {
        using var trap = new StickyTrap();
        // The link's owner follows it (as ls, cat and echo > would).
        File.WriteAllText(trap.Dir["mine"], "x");
        Tool.Ok("chown", "65534:65534", trap.Dir["mine"]);
        AsUserOk("65534", "ln", "-s", trap.Dir["mine"], trap.Dir["tmp/own"]);
        Resh.Ok(Resh.AsNobody($"file://{trap.Dir["tmp/own"]}.write", "content=via own link"), changed: true);
        Assert.Equal("via own link", File.ReadAllText(trap.Dir["mine"]));
        Assert.Equal(trap.Dir["mine"], new FileInfo(trap.Dir["tmp/own"]).LinkTarget);
        // Root's own link in the sticky directory: followed by root.
        File.CreateSymbolicLink(trap.Dir["tmp/roots"], trap.Victim);
        Resh.Ok(Resh.Run($"file://{trap.Dir["tmp/roots"]}.write", "content=rotated\n"), changed: true);
        Assert.Equal("rotated\n", File.ReadAllText(trap.Victim));
        Assert.Equal("600 0 0", Tool.Stat("%a %u %g", trap.Victim));
    }

    [Fact]
    public void Follow_false_replaces_the_link_itself_and_never_touches_its_target()
    {
        using var trap = new StickyTrap();
        var before = Fingerprint(trap.Victim);
        var dry = Resh.Ok(Resh.AsNobody($"file://{trap.Link}.write", "content=plain\n", "follow=false", "--dry-run"), changed: true);
        Assert.True(dry.Flag("created"));
        Assert.NotNull(new FileInfo(trap.Link).LinkTarget);
        Resh.Ok(Resh.AsNobody($"file://{trap.Link}.write", "content=plain\n", "follow=false"), changed: true);
        Assert.Null(new FileInfo(trap.Link).LinkTarget);
        Assert.Equal("plain\n", File.ReadAllText(trap.Link));
        Assert.Equal(before, Fingerprint(trap.Victim));
    }

    [Fact]
    public void Replacing_a_file_the_caller_cannot_write_needs_force_like_echo()
    {
        using var dir = new TempDir("perm");
        Tool.Ok("chown", "65534:65534", dir.Path);
        var path = dir.File("rootfile", "root's\n");
        Tool.Ok("chmod", "0644", path);
        var echo = Tool.Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "sh", "-c", $"echo x > {path}");
        Assert.NotEqual(0, echo.Exit); // what the shell does
        var error = Resh.Fails(Resh.AsNobody($"file://{path}.write", "content=mine\n"), "permission_denied");
        Assert.Contains("force", error["hint"]!.GetValue<string>());
        Assert.Equal("root's\n", File.ReadAllText(path));
        Assert.Equal("0", Tool.Stat("%u", path));

        var forced = Resh.AsNobody($"file://{path}.write", "content=mine\n", "force=true");
        Resh.Ok(forced, changed: true);
        Assert.Equal("mine\n", File.ReadAllText(path));
        Assert.Equal("65534", Tool.Stat("%u", path)); // a new file, owned by the caller, and said so
        Assert.Contains(forced.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("owner"));
    }

    [Fact]
    public void A_writable_file_in_a_directory_the_caller_cannot_write_is_rewritten_in_place_with_a_warning()
    {
        using var dir = new TempDir("perm");
        var locked = dir["etc"];
        Directory.CreateDirectory(locked);
        Tool.Ok("chmod", "0755", locked);
        var path = dir.File("etc/shared.conf", "a=1\n");
        Tool.Ok("chmod", "0666", path);
        var inode = Tool.Stat("%i", path);
        var run = Resh.AsNobody($"file://{path}.write", "content=a=2\n");
        var r = Resh.Ok(run, changed: true);
        Assert.True(r.Flag("in_place"));
        Assert.Equal("a=2\n", File.ReadAllText(path));
        Assert.Equal(inode, Tool.Stat("%i", path));
        Assert.Equal("666 0 0", Tool.Stat("%a %u %g", path));
        Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("not atomically"));
        Assert.Equal(["shared.conf"], Directory.GetFileSystemEntries(locked).Select(Path.GetFileName));

        // Shorter content truncates; lines.ensure and replace take the same path.
        Resh.Ok(Resh.AsNobody($"file://{path}.lines.ensure", "line=b=3"), changed: true);
        Assert.Equal("a=2\nb=3\n", File.ReadAllText(path));
        Resh.Ok(Resh.AsNobody($"file://{path}.write", "content=c\n"), changed: true);
        Assert.Equal("c\n", File.ReadAllText(path));
    }

    [Fact]
    public void Another_users_writable_file_in_a_sticky_directory_is_rewritten_in_place()
    {
        using var dir = new TempDir("perm");
        Directory.CreateDirectory(dir["tmp"]);
        Tool.Ok("chmod", "1777", dir["tmp"]);
        var path = dir.File("tmp/shared", "old\n");
        Tool.Ok("chmod", "0666", path);
        var run = Resh.AsNobody($"file://{path}.write", "content=new\n");
        Assert.True(Resh.Ok(run, changed: true).Flag("in_place"));
        Assert.Equal("new\n", File.ReadAllText(path));
        Assert.Equal("0", Tool.Stat("%u", path));
        Assert.Single(Directory.GetFileSystemEntries(dir["tmp"]));
    }

    [Fact]
    public void A_hard_linked_file_warns_that_its_other_names_keep_the_old_content_unless_inplace()
    {
        using var dir = new TempDir("hard");
        var a = dir.File("a", "v1\n");
        Tool.Ok("ln", a, dir["b"]);
        var run = Resh.Run($"file://{a}.write", "content=v2\n");
        Resh.Ok(run, changed: true);
        Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("hard link"));
        Assert.Equal("v1\n", File.ReadAllText(dir["b"]));

        Tool.Ok("rm", "-f", dir["b"]);
        Tool.Ok("ln", a, dir["b"]);
        var inode = Tool.Stat("%i", a);
        var inPlace = Resh.Ok(Resh.Run($"file://{a}.write", "content=v3 longer\n", "inplace=true"), changed: true);
        Assert.True(inPlace.Flag("in_place"));
        Assert.Equal("v3 longer\n", File.ReadAllText(dir["b"]));
        Assert.Equal(inode, Tool.Stat("%i", a));
        Resh.Ok(Resh.Run($"file://{a}.write", "content=v4\n", "inplace=true"), changed: true);
        Assert.Equal("v4\n", File.ReadAllText(dir["b"])); // truncated to the new length
    }

    [Fact]
    public void Acls_extended_attributes_security_attributes_and_inode_flags_survive_a_rewrite()
    {
        using var dir = new TempDir("meta");
        var path = dir.File("conf", "v1\n");
        Tool.Ok("setfacl", "-m", "u:65534:rw,g:65534:r", path);
        Tool.Ok("setfattr", "-n", "user.origin", "-v", "deploy", path);
        Tool.Ok("setfattr", "-n", "trusted.resh", "-v", "t", path);
        Tool.Ok("setcap", "cap_net_bind_service=+ep", path);
        Tool.Ok("chattr", "+A", path);
        Tool.Ok("chattr", "+d", path);
        var acl = Tool.Ok("getfacl", "--omit-header", path);
        var attrs = Tool.Ok("getfattr", "-d", "-m", "-", "--absolute-names", path);
        var flags = Tool.Ok("lsattr", "-d", path).Split(' ')[0];

        var run = Resh.Run($"file://{path}.write", "content=v2\n");
        Resh.Ok(run, changed: true);
        Assert.Empty(run.Envelope["warnings"]!.AsArray());
        Assert.Equal("v2\n", File.ReadAllText(path));
        Assert.Equal(acl, Tool.Ok("getfacl", "--omit-header", path));
        Assert.Equal(attrs, Tool.Ok("getfattr", "-d", "-m", "-", "--absolute-names", path));
        Assert.Contains("cap_net_bind_service=ep", Tool.Ok("getcap", path));
        Assert.Equal(flags, Tool.Ok("lsattr", "-d", path).Split(' ')[0]);

        // replace and lines.ensure use the same replacement.
        Resh.Ok(Resh.Run($"file://{path}.replace", "pattern=v2", "replacement=v3"), changed: true);
        Assert.Equal(acl, Tool.Ok("getfacl", "--omit-header", path));
        Assert.Equal(attrs, Tool.Ok("getfattr", "-d", "-m", "-", "--absolute-names", path));
    }

    [Fact]
    public void What_the_caller_may_not_set_on_the_new_file_is_named_in_a_warning()
    {
        using var dir = new TempDir("meta");
        Tool.Ok("chown", "65534:65534", dir.Path);
        var path = dir.File("mine", "v1\n");
        Tool.Ok("chown", "65534:65534", path);
        Tool.Ok("setfattr", "-n", "user.kept", "-v", "yes", path);
        Tool.Ok("setfattr", "-n", "security.lost", "-v", "root-only", path); // readable by the owner, settable only with CAP_SYS_ADMIN
        var run = Resh.AsNobody($"file://{path}.write", "content=v2\n");
        Resh.Ok(run, changed: true);
        var warning = Assert.Single(run.Envelope["warnings"]!.AsArray())!.GetValue<string>();
        Assert.Contains("security.lost", warning);
        Assert.Contains("user.kept", Tool.Ok("getfattr", "-d", "--absolute-names", path));
    }
}
