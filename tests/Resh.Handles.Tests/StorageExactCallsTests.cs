using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests;

/// <summary>The storage calls issue 3 lists "exactly as written", run verbatim through the native binary.</summary>
public sealed class StorageExactCallsTests
{
    static readonly string[] Owned = ["/tmp/src", "/tmp/x.tar.zst", "/tmp/out"];

    [Fact]
    public void The_issue_calls_work_exactly_as_written()
    {
        // These exact paths are shared with the world: refuse to clobber anything that is already there.
        foreach (var p in Owned) Assert.False(Path.Exists(p), $"{p} exists; this test uses it verbatim and will not overwrite it. Remove it and rerun.");
        using var home = new TempDir("exact-home");
        var env = new Dictionary<string, string> { ["RESH_HOME"] = home.Path };
        ReshRun R(string stage) => ReshBinary.Run([stage], env: env);
        try
        {
            Directory.CreateDirectory("/tmp/src/sub");
            File.WriteAllText("/tmp/src/a.txt", "one\n");
            File.WriteAllText("/tmp/src/sub/b.txt", "two\n");

            var create = R("archive:///tmp/x.tar.zst.create(sources=/tmp/src)");
            Assert.True(create.Ok, create.ToString());
            var extract = R("archive:///tmp/x.tar.zst.extract(destination=/tmp/out)");
            Assert.True(extract.Ok, extract.ToString());
            Assert.Equal("two\n", File.ReadAllText("/tmp/out/src/sub/b.txt"));

            var snap = R("snapshot:///tmp/src.create(name=s1)");
            Assert.True(snap.Ok, snap.ToString());
            File.WriteAllText("/tmp/src/a.txt", "changed\n");
            var diff = R("snapshot:///tmp/src.diff(from=s1)");
            Assert.True(diff.Ok, diff.ToString());
            Assert.Equal("a.txt", diff.Result!["modified"]![0]!["path"]!.GetValue<string>());
            var restore = R("snapshot:///tmp/src.restore(name=s1)");
            Assert.True(restore.Ok, restore.ToString());
            Assert.Equal("one\n", File.ReadAllText("/tmp/src/a.txt"));

            var all = R("fs://.usage");
            Assert.True(all.Ok, all.ToString());
            Assert.NotEmpty(all.Result!["filesystems"]!.AsArray());
            var var_ = R("fs:///var.usage");
            Assert.True(var_.Ok, var_.ToString());
        }
        finally
        {
            foreach (var p in Owned)
            {
                if (Directory.Exists(p)) Directory.Delete(p, true);
                else if (File.Exists(p)) File.Delete(p);
            }
        }
    }
}
