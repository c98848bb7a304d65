using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Snapshot;

/// <summary>
/// What a snapshot keeps besides bytes, modes and links: extended attributes and POSIX ACLs (security.*
/// and trusted.* too when root), FIFOs; and what it cannot keep (sockets) a restore leaves in place and
/// names, never deletes. Runs as root and as nobody, with a decoy beside the tree that must not change.
/// </summary>
public sealed class SnapshotFidelityTests
{
    static readonly string[] Nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];

    static ReshRun Resh(bool asNobody, params string[] args) =>
        asNobody ? FileScheme.Tool.RunResh([.. Nobody, ReshBinary.Path, .. args]) : ReshBinary.Run(args);

    /// <summary>Every extended attribute and ACL under the tree, as getfattr dumps them (sorted, names relative).</summary>
    static string Attributes(string root) =>
        Sh.Ok("sh", "-c", $"cd '{root}' && find . ! -type s | LC_ALL=C sort | while read -r p; do echo \"== $p\"; getfattr -h -d -m - \"$p\" 2>/dev/null | grep -v '^#'; getfacl -p \"$p\" 2>/dev/null | grep -v '^#'; done");

    static void MakeSocket(string path) =>
        Sh.Ok("/usr/bin/python3", "-c", $"import socket; s = socket.socket(socket.AF_UNIX); s.bind('{path}')");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Xattrs_ACLs_and_FIFOs_come_back_and_sockets_are_kept_not_deleted(bool asNobody)
    {
        using var dir = new TempDir("snapx");
        var tree = dir["tree"];
        var repo = dir["repo"];
        var outside = dir["outside"];
        Directory.CreateDirectory(Path.Combine(tree, "d"));
        Directory.CreateDirectory(repo);
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "decoy"), "decoy\n");
        var f = Path.Combine(tree, "f");
        File.WriteAllText(f, "content\n");
        File.WriteAllText(Path.Combine(tree, "d", "g"), "more\n");
        Sh.Ok("setfattr", "-n", "user.color", "-v", "blue", f);
        Sh.Ok("setfattr", "-n", "user.tag", "-v", "0x00ff10", Path.Combine(tree, "d"));
        Sh.Ok("setfacl", "-m", "u:65534:r,g:0:r", f); // mask r: the mode stays 0644
        Sh.Ok("setfacl", "-d", "-m", "g:0:rx", Path.Combine(tree, "d"));
        if (!asNobody)
        {
            Sh.Ok("setfattr", "-n", "trusted.origin", "-v", "root-only", f);
            Sh.Ok("setfattr", "-n", "security.label", "-v", "lbl", Path.Combine(tree, "d", "g"));
        }
        Sh.Ok("mkfifo", "-m", "0640", Path.Combine(tree, "p"));
        Sh.Ok("mkfifo", "-m", "0600", Path.Combine(tree, "d", "q"));
        // The whole tree is rebuilt beside it: the user restoring needs to write its parent (as for any rename there).
        if (asNobody) Sh.Ok("chown", "-R", "65534:65534", dir.Path);
        var attributes = Attributes(tree);
        Assert.Contains("user.color", attributes);
        Assert.Contains("system.posix_acl_access", attributes);

        var create = Resh(asNobody, $"snapshot://{tree}.create", "name=s1", $"repo={repo}");
        Assert.True(create.Ok, create.ToString());
        // Sockets appear after the snapshot (a daemon started): the restore must leave them.
        MakeSocket(Path.Combine(tree, "sock"));
        MakeSocket(Path.Combine(tree, "d", "sock2"));
        if (asNobody) Sh.Ok("chown", "-h", "65534:65534", Path.Combine(tree, "sock"), Path.Combine(tree, "d", "sock2"));

        // Damage: attributes and ACLs removed, FIFOs gone or changed.
        Sh.Ok("setfattr", "-x", "user.color", f);
        Sh.Ok("setfacl", "-b", f);
        Sh.Ok("setfacl", "-k", Path.Combine(tree, "d"));
        Sh.Ok("setfattr", "-x", "user.tag", Path.Combine(tree, "d"));
        File.Delete(Path.Combine(tree, "p"));
        Sh.Ok("chmod", "0666", Path.Combine(tree, "d", "q"));
        var plan = Resh(asNobody, $"snapshot://{tree}.restore", "name=s1", $"repo={repo}", "--dry-run");
        Assert.True(plan.Ok, plan.ToString());
        var modified = plan.Result!["modified"]!.AsArray().Select(m => $"{m!["path"]} {m["change"]}").Order().ToList();
        Assert.Equal(["d xattrs", "d/q mode", "f xattrs"], modified);
        Assert.Equal(["p"], plan.Result!["created"]!.AsArray().Select(x => x!.GetValue<string>()));

        var restore = Resh(asNobody, $"snapshot://{tree}.restore", "name=s1", $"repo={repo}");
        Assert.True(restore.Ok, restore.ToString());
        Assert.Equal(attributes, Attributes(tree));
        Assert.Equal("fifo 640", Sh.Ok("stat", "-c", "%F %a", Path.Combine(tree, "p")).Trim());
        Assert.Equal("fifo 600", Sh.Ok("stat", "-c", "%F %a", Path.Combine(tree, "d", "q")).Trim());
        Assert.Equal("socket", Sh.Ok("stat", "-c", "%F", Path.Combine(tree, "sock")).Trim());
        Assert.Equal("socket", Sh.Ok("stat", "-c", "%F", Path.Combine(tree, "d", "sock2")).Trim());
        Assert.Equal(["d/sock2", "sock"], restore.Result!["kept"]!.AsArray().Select(x => x!.GetValue<string>()).Order(StringComparer.Ordinal));

        // A paths restore of the directory keeps its socket too, and brings the attribute back.
        Sh.Ok("setfattr", "-x", "user.tag", Path.Combine(tree, "d"));
        var paths = Resh(asNobody, $"snapshot://{tree}.restore", "name=s1", "paths=d", $"repo={repo}");
        Assert.True(paths.Ok, paths.ToString());
        Assert.Equal("socket", Sh.Ok("stat", "-c", "%F", Path.Combine(tree, "d", "sock2")).Trim());
        Assert.Equal(attributes, Attributes(tree));

        var again = Resh(asNobody, $"snapshot://{tree}.restore", "name=s1", $"repo={repo}");
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed, again.ToString());
        Assert.Equal(["decoy"], Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
        Assert.Equal("decoy\n", File.ReadAllText(Path.Combine(outside, "decoy")));
    }
}
