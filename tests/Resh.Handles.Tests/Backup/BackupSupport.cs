using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Backup;

/// <summary>Shared by the backup:// tests: the password (only ever passed as env:), a tree worth restoring, and comparing trees.</summary>
public static class BackupSupport
{
    /// <summary>Distinctive enough that finding it in any output means it leaked.</summary>
    public const string Password = "Zq7-backup-pw-4f1e9a";
    public const string PasswordVar = "RESH_TEST_BACKUP_PW";
    public const string PasswordArg = "password=env:" + PasswordVar;

    public static ReshRun Run(params string[] args) => RunWith(Password, args);

    public static ReshRun RunWith(string password, params string[] args) => RunEnv(new Dictionary<string, string> { [PasswordVar] = password }, args);

    public static ReshRun RunEnv(Dictionary<string, string> env, params string[] args)
    {
        env.TryAdd(PasswordVar, Password);
        var run = ReshBinary.Run(args, env: env, wait: TimeSpan.FromMinutes(5));
        // The password never reaches an envelope, a warning or stderr, whatever the call did.
        Assert.DoesNotContain(Password, run.Stdout);
        Assert.DoesNotContain(Password, run.Stderr);
        return run;
    }

    /// <summary>
    /// A tree with what a restore must bring back: content (text, binary, empty), modes (0600, 0640, 0755, 0750 on a
    /// directory), modification times in the past (files, directories, links), relative, absolute and dangling symlinks.
    /// </summary>
    public static void MakeTree(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "etc/app"));
        Directory.CreateDirectory(Path.Combine(root, "private"));
        Directory.CreateDirectory(Path.Combine(root, "empty-dir"));
        File.WriteAllText(Path.Combine(root, "etc/app/app.conf"), "port = 8080\nname = \"demo\"\n");
        File.WriteAllText(Path.Combine(root, "private/key"), "secret-ish\n");
        File.WriteAllBytes(Path.Combine(root, "blob.bin"), Enumerable.Range(0, 70000).Select(i => (byte)(i * 31 % 251)).ToArray());
        File.WriteAllText(Path.Combine(root, "empty"), "");
        File.WriteAllText(Path.Combine(root, "run.sh"), "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(root, "private/key"), (UnixFileMode)0x180);        // 0600
        File.SetUnixFileMode(Path.Combine(root, "etc/app/app.conf"), (UnixFileMode)0x1a0);   // 0640
        File.SetUnixFileMode(Path.Combine(root, "run.sh"), (UnixFileMode)0x1ed);             // 0755
        File.SetUnixFileMode(Path.Combine(root, "private"), (UnixFileMode)0x1e8);            // 0750
        File.CreateSymbolicLink(Path.Combine(root, "conf-link"), "etc/app/app.conf");
        File.CreateSymbolicLink(Path.Combine(root, "abs-link"), "/etc/hostname");
        File.CreateSymbolicLink(Path.Combine(root, "dangling"), "no/such/target");
        // Past times, deepest first so a directory's own time is set after its children change.
        Sh.Ok("sh", "-c", $"cd '{root}' && find . -mindepth 1 -depth -exec touch -h -d '2021-03-04 05:06:07.123456789' {{}} +");
    }

    /// <summary>Every entry below a tree (not the root itself): path, type, mode, mtime to the nanosecond, size, link target; then file hashes.</summary>
    public static string Describe(string root) =>
        Sh.Ok("sh", "-c", $"cd '{root}' && find . -mindepth 1 -printf '%P|%y|%m|%T@|%s|%l\\n' | LC_ALL=C sort && find . -type f -exec sha256sum {{}} + | LC_ALL=C sort -k2");

    /// <summary>The restored copy of <paramref name="source"/> (restic and borg both keep the full path below the target) equals it file by file.</summary>
    public static void AssertRestored(string source, string restoreTarget)
    {
        var copy = Path.Combine(restoreTarget, source.TrimStart('/'));
        Assert.True(Directory.Exists(copy), $"{copy} was not restored");
        Assert.Equal(Describe(source), Describe(copy));
    }
}
