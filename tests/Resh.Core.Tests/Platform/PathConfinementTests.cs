using Resh.Core.Errors;
using Resh.Core.Platform;
using Xunit;

namespace Resh.Core.Tests.Platform;

/// <summary>
/// PathConfinement judges the kernel's name of what is acted on (s37 attacker #1): a read through a symlink is judged
/// where it lands, a delete on its directory as opened, and without a check in force nothing is resolved or refused.
/// </summary>
public sealed class PathConfinementTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("resh-confine-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static ReshError? Inside(string root, PathAct act, string path, List<(PathAct, string)> seen)
    {
        seen.Add((act, path));
        return path == root || path.StartsWith(root + "/", StringComparison.Ordinal) ? null : ReshError.PermissionDenied($"{path} is outside.", "Stay inside.");
    }

    [Fact]
    public void Without_a_check_nothing_is_resolved_and_nothing_is_refused()
    {
        Assert.False(PathConfinement.Active);
        Assert.Null(PathConfinement.OpenRead("/etc/hostname", Posix.O_RDONLY, out _, out var confined));
        Assert.False(confined);
        Assert.Null(PathConfinement.Parent("/etc/hostname", PathAct.Delete, _ => ReshError.Failed("x")));
        Assert.Null(PathConfinement.Check(PathAct.Write, Posix.AT_FDCWD, "x"));
        Assert.Empty(PathConfinement.Acted);
    }

    [Fact]
    public void A_read_is_judged_where_the_symlink_leads_and_a_delete_on_the_directory_it_opened()
    {
        var inside = Directory.CreateDirectory(Path.Combine(_dir, "in")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "out")).FullName;
        File.WriteAllText(Path.Combine(inside, "a"), "inside");
        File.WriteAllText(Path.Combine(outside, "secret"), "outside");
        File.CreateSymbolicLink(Path.Combine(inside, "link"), Path.Combine(outside, "secret"));
        Directory.CreateSymbolicLink(Path.Combine(inside, "dirlink"), outside);
        var seen = new List<(PathAct, string)>();
        using (PathConfinement.Enter((act, p) => Inside(inside, act, p, seen)))
        {
            Assert.True(PathConfinement.Active);
            using (var ok = PathConfinement.OpenRead(Path.Combine(inside, "a"), Posix.O_RDONLY, out _, out _))
                Assert.NotNull(ok);
            var refused = Assert.Throws<ReshException>(() => PathConfinement.OpenRead(Path.Combine(inside, "link"), Posix.O_RDONLY, out _, out _));
            Assert.Equal(ErrorCode.PermissionDenied, refused.Error.Code);
            Assert.Throws<ReshException>(() => PathConfinement.Parent(Path.Combine(inside, "dirlink", "secret"), PathAct.Delete, _ => ReshError.Failed("x")));
            // A link itself is removed from its own directory: that is inside.
            using (var parent = PathConfinement.Parent(Path.Combine(inside, "link"), PathAct.Delete, _ => ReshError.Failed("x")))
                Assert.Equal("link", parent!.Name);
            Assert.Equal([Path.Combine(inside, "a"), Path.Combine(inside, "link")], PathConfinement.Acted);
        }
        Assert.False(PathConfinement.Active);
        Assert.Contains((PathAct.Read, Path.Combine(outside, "secret")), seen);
        Assert.Contains((PathAct.Delete, Path.Combine(outside, "secret")), seen);
        Assert.True(File.Exists(Path.Combine(outside, "secret")));
    }
}
