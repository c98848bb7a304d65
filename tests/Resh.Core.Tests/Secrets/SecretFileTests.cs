using Resh.Core.Secrets;
using Xunit;

namespace Resh.Core.Tests.Secrets;

public sealed class SecretFileTests
{
    [Fact]
    public void A_secret_file_is_private_while_it_lives_and_gone_afterwards()
    {
        var value = "canary-" + Guid.NewGuid().ToString("N");
        string path, dir;
        using (var file = SecretFile.Create(SecretValue.FromText(value)))
        {
            path = file.Path;
            dir = Path.GetDirectoryName(path)!;
            Assert.Equal(value, File.ReadAllText(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        }
        Assert.False(File.Exists(path));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void A_helper_file_lives_in_the_same_private_directory_and_goes_with_it()
    {
        using var file = SecretFile.Create(SecretValue.FromText("t0ken"), "token");
        var script = file.AddFile("askpass", "#!/bin/sh\ncat \"$1\"\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(Path.GetDirectoryName(file.Path), Path.GetDirectoryName(script));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(script));
        file.Dispose();
        Assert.False(File.Exists(script));
        Assert.False(Directory.Exists(Path.GetDirectoryName(script)));
    }

    [Fact]
    public void A_directory_left_by_a_killed_resh_is_wiped_by_the_next_one()
    {
        // A PID above the kernel's largest (2^22) never runs.
        var stale = $"/dev/shm/resh-secret-4194399-{Guid.NewGuid().ToString("N")[..12]}";
        Directory.CreateDirectory(stale, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(stale, "secret"), "left-behind");
        using (SecretFile.Create(SecretValue.FromText("x"))) { }
        Assert.False(Directory.Exists(stale));
    }

    [Fact]
    public void A_temporary_directory_another_user_owns_is_passed_over()
    {
        // s34 attacker #12/#13: root with a user's TMPDIR or XDG_RUNTIME_DIR (sudo -E) must not put its secret where that user can swap it.
        if (Resh.Core.Platform.LibC.GetEUid() != 0) return; // needs chown: the suite runs as root
        var theirs = Path.Combine(Path.GetTempPath(), "resh-theirs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(theirs, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var before = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        try
        {
            Assert.Equal(0, Resh.Core.Platform.Posix.FChownAt(Resh.Core.Platform.Posix.AT_FDCWD, theirs, 65534, 65534, false));
            Environment.SetEnvironmentVariable("XDG_RUNTIME_DIR", theirs);
            using var file = SecretFile.Create(SecretValue.FromText("x"));
            Assert.False(file.Path.StartsWith(theirs + "/", StringComparison.Ordinal), file.Path);
            Assert.Empty(Directory.EnumerateFileSystemEntries(theirs));
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_RUNTIME_DIR", before);
            Directory.Delete(theirs, true);
        }
    }
}
