using System.Globalization;
using Resh.Core.Execution;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// The one way file verbs replace a file's content: <see cref="AtomicFile"/> (temporary sibling, fsync,
/// rename, fsync of the directory), keeping the existing mode and owner unless new ones are asked for,
/// and optionally keeping the previous version as <c>path.TIMESTAMP~</c>.
/// </summary>
internal static class AtomicRewrite
{
    /// <summary>What to do besides writing the bytes.</summary>
    public sealed record Options(uint? Mode, Ownership Owner, bool Backup);

    public static Task<string?> WriteAsync(VerbContext ctx, string path, byte[] content, FileStatus? existing, Options options) =>
        WriteAsync(ctx, path, (s, ct) => s.WriteAsync(content, ct).AsTask(), existing, options);

    /// <summary>Writes through <paramref name="writer"/> and renames into place; returns the backup's path when one was made.</summary>
    public static async Task<string?> WriteAsync(VerbContext ctx, string path, Func<Stream, CancellationToken, Task> writer,
        FileStatus? existing, Options options)
    {
        // New files get 0666 minus the umask, as shells and editors create them.
        uint mode = options.Mode ?? existing?.Permissions ?? (0x1B6u & ~FileNative.Umask());
        int uid = options.Owner.Uid >= 0 ? options.Owner.Uid : existing is { } e1 ? (int)e1.Uid : -1;
        int gid = options.Owner.Gid >= 0 ? options.Owner.Gid : existing is { } e2 ? (int)e2.Gid : -1;
        bool ownerAsked = !options.Owner.IsKeep;

        string? backup = null;
        if (options.Backup && existing is not null) backup = MakeBackup(path);

        void Prepare(string temp)
        {
            if (uid >= 0 || gid >= 0)
            {
                var st = Posix.Stat(temp, false, out _);
                if (st is { } t && ((uid >= 0 && t.Uid != (uint)uid) || (gid >= 0 && t.Gid != (uint)gid)))
                {
                    var errno = Posix.Chown(temp, uid, gid, follow: false);
                    if (errno != 0)
                    {
                        if (ownerAsked) throw FileErrors.Throw(errno, path, "set the owner of");
                        ctx.Warn($"Could not keep the owner of {path} ({Posix.StrError(errno)}); the new content belongs to the caller.");
                    }
                }
            }
            // chown clears setuid/setgid, so the mode goes on last.
            FileErrors.Check(FileNative.Chmod(temp, mode), path, "set the mode of");
        }

        try
        {
            await AtomicFile.WriteAsync(path, writer, (UnixFileMode)(mode & 0x1C0 /* owner bits until Prepare sets the rest */), Prepare, ctx.Cancellation).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FileErrors.FromException(ex, path, "write").ToException();
        }
        return backup;
    }

    /// <summary>The name the backup of <paramref name="path"/> gets now (Ansible's habit: a timestamped sibling ending in ~).</summary>
    public static string BackupName(string path)
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss.fff'Z'", CultureInfo.InvariantCulture);
        var name = $"{path}.{stamp}~";
        for (int i = 1; Posix.Stat(name, false, out _) is not null; i++) name = $"{path}.{stamp}.{i}~";
        return name;
    }

    /// <summary>Keeps the current version: a hard link when possible (instant, the old inode stays intact), else a copy.</summary>
    static string MakeBackup(string path)
    {
        var name = BackupName(path);
        if (FileNative.Link(path, name) == 0) return name;
        FileErrors.Guard(name, "back up to", () =>
        {
            System.IO.File.Copy(path, name, overwrite: false);
            FileNative.CopyTimes(path, name, follow: true);
        });
        return name;
    }
}
