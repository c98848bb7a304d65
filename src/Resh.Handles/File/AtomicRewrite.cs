using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;
using Resh.Core.Text;

namespace Resh.Handles.Files;

/// <summary>
/// The one way file verbs replace a file's content. Atomic by default: a temporary sibling created in
/// the file's own directory (by descriptor, O_EXCL|O_NOFOLLOW), written, given the old file's owner,
/// mode, extended attributes, ACLs and inode flags, fsynced and renamed over the file, then the
/// directory fsynced. Like <c>echo &gt;</c>, a file the caller may not write is refused unless
/// <c>force</c>; a file the caller may write in a directory it may not (a 0666 file in a root-only
/// directory, another user's file in a sticky one) is rewritten in place with a warning that this is
/// not atomic. <c>inplace</c> writes through the existing inode (so its other hard links see the change).
/// </summary>
internal static class AtomicRewrite
{
    /// <summary>What to do besides writing the bytes.</summary>
    /// <param name="Unchanged">Asked after the content is written to the temporary file: true discards it (the bytes turned out equal).</param>
    /// <param name="NotAtomic">Null: a file whose directory refuses a temporary file is rewritten in place with a warning. Otherwise the
    /// name of the argument that allows that (template's unsafe_writes, as Ansible's): without it, such a write is refused.</param>
    public sealed record Options(uint? Mode, Ownership Owner, bool Backup, bool Force = false, bool InPlace = false, Func<bool>? Unchanged = null, string? NotAtomic = null, bool AllowNotAtomic = true);

    /// <summary>What happened: the backup's path when one was made, whether the inode was written in place,
    /// and whether the new content was discarded as equal to the old.</summary>
    public sealed record Written(string? Backup, bool InPlace, bool Discarded = false);

    public static Task<Written> WriteAsync(VerbContext ctx, WriteTarget target, byte[] content, Options options) =>
        WriteAsync(ctx, target, (s, ct) => s.WriteAsync(content, ct).AsTask(), options);

    public static async Task<Written> WriteAsync(VerbContext ctx, WriteTarget target, Func<Stream, CancellationToken, Task> writer, Options options)
    {
        var existing = target.Existing;
        var path = target.Path;
        uint mode = options.Mode ?? existing?.Permissions ?? (0x1B6u & ~FileNative.Umask());
        uint? uid = options.Owner.Uid ?? existing?.Uid;
        uint? gid = options.Owner.Gid ?? existing?.Gid;

        // echo > refuses a file you may not write; replacing it would silently change its owner.
        int access = existing is null ? 0 : Posix.AccessAt(target.DirFd, target.Name, Posix.W_OK);
        if (access == Posix.EROFS) throw FileErrors.Throw(Posix.EROFS, path, "write");
        bool writable = access == 0;
        if (!writable && !options.Force)
        {
            var st = existing!.Value;
            throw ReshError.PermissionDenied(
                $"Cannot write {FilePaths.Display(path)}: it is not writable by you (owner {Users.UserName(st.Uid) ?? st.Uid.ToString(CultureInfo.InvariantCulture)}, mode {FileMetadata.OctalMode(st.Permissions)}).",
                "Run as a user who may write it, or pass force=true to replace it with a new file that belongs to you (echo > would refuse).",
                new JsonObject { ["path"] = FilePaths.Display(path), ["owner_uid"] = st.Uid, ["mode"] = FileMetadata.OctalMode(st.Permissions) }).ToException();
        }

        bool inPlace = options.InPlace && existing is not null && writable;
        if (!inPlace && existing is { Links: > 1 } linked)
            ctx.Warn($"{FilePaths.Display(path)} has {linked.Links - 1} other hard link(s); they keep the old content (inplace=true writes through every name).");

        // What a killed earlier write of this file left (its new content, secrets included): gone before this one starts.
        if (!ctx.DryRun && StaleTempFiles.Remove(target.DirFd, target.Name) is { Count: > 0 } stale)
            ctx.Warn($"Removed {stale.Count} temporary file(s) an interrupted earlier write of {FilePaths.Display(path)} left beside it ({string.Join(", ", stale.Take(3))}{(stale.Count > 3 ? ", ..." : "")}).");
        string? backup = options.Backup && existing is not null ? MakeBackup(ctx, target) : null;
        if (inPlace)
        {
            await InPlaceAsync(ctx, target, writer, options).ConfigureAwait(false);
            return new Written(backup, true);
        }

        var temp = TempName(target.Name);
        var fd = Posix.OpenAt(target.DirFd, temp, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW, 0x180);
        if (fd < 0)
        {
            if (-fd is Posix.EACCES or Posix.EPERM && existing is not null && writable)
            {
                WarnNotAtomic(ctx, target, options);
                await InPlaceAsync(ctx, target, writer, options).ConfigureAwait(false);
                return new Written(backup, true);
            }
            throw existing is null
                ? FileErrors.Throw(-fd, path, "create")
                : FileErrors.Throw(-fd, target.Resolved.Directory, "write a temporary file in");
        }

        bool renamed = false;
        try
        {
            var lost = new List<string>();
            int oldPath = existing is null ? -1 : Posix.OpenAt(target.DirFd, target.Name, Posix.O_PATH | Posix.O_NOFOLLOW);
            try
            {
                if (existing is not null)
                {
                    var oldRead = Posix.OpenAt(target.DirFd, target.Name, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_NONBLOCK);
                    var flags = MetadataCarry.ReadFlags(oldRead);
                    Posix.Close(oldRead);
                    if (MetadataCarry.ApplyFlags(fd, flags) is { } f) lost.Add(f); // before the content: +C only takes on an empty file
                }
                using var handle = new SafeFileHandle(fd, ownsHandle: false);
                using (var fs = new FileStream(handle, FileAccess.Write, 1))
                {
                    await writer(fs, ctx.Cancellation).ConfigureAwait(false);
                    fs.Flush(flushToDisk: false);
                }
                if (options.Unchanged?.Invoke() == true)
                {
                    if (backup is not null) Posix.UnlinkAt(target.DirFd, Path.GetFileName(backup), false);
                    return new Written(null, false, Discarded: true);
                }
                SetOwner(ctx, fd, path, uid, gid, options.Owner);
                if (oldPath >= 0) lost.AddRange(MetadataCarry.CopyXattrs(oldPath, fd));
                FileErrors.Check(Posix.FChmod(fd, mode), path, "set the mode of"); // last: chown clears setuid/setgid
                FileErrors.Check(Posix.FSync(fd), path, "write");
            }
            finally
            {
                Posix.Close(oldPath);
                Posix.Close(fd);
            }
            if (lost.Count > 0) ctx.Warn($"Not kept on the new {FilePaths.Display(path)}: {string.Join(", ", lost)}.");

            var rc = Posix.RenameAt(target.DirFd, temp, target.DirFd, target.Name);
            if (rc is Posix.EPERM or Posix.EACCES && existing is not null && writable)
            {
                // A sticky directory lets only a file's owner replace it; the file itself is writable.
                Posix.UnlinkAt(target.DirFd, temp, false);
                WarnNotAtomic(ctx, target, options);
                await InPlaceAsync(ctx, target, writer, options).ConfigureAwait(false);
                return new Written(backup, true);
            }
            FileErrors.Check(rc, path, "replace");
            renamed = true;
            SyncDirectory(target.DirFd);
            return new Written(backup, false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FileErrors.FromException(ex, path, "write").ToException();
        }
        finally
        {
            if (!renamed) Posix.UnlinkAt(target.DirFd, temp, false);
        }
    }

    static void WarnNotAtomic(VerbContext ctx, WriteTarget target, Options options)
    {
        if (!options.AllowNotAtomic)
            throw ReshError.PermissionDenied(
                $"Cannot replace {FilePaths.Display(target.Path)} atomically: {FilePaths.Display(target.Resolved.Directory)} does not let you create a temporary file beside it.",
                $"Run as a user who may write the directory, or pass {options.NotAtomic}=true to rewrite the file in place (not atomic: a crash mid-write can leave it partly written).",
                new JsonObject { ["path"] = FilePaths.Display(target.Path) }).ToException();
        ctx.Warn($"{FilePaths.Display(target.Resolved.Directory)} does not let you replace {FilePaths.Display(target.Name)}, so it was rewritten in place, not atomically (a crash mid-write can leave it partly written).");
    }

    /// <summary>Writes through the existing inode: every hard link sees the change; not atomic.</summary>
    static async Task InPlaceAsync(VerbContext ctx, WriteTarget target, Func<Stream, CancellationToken, Task> writer, Options options)
    {
        var path = target.Path;
        using var handle = target.OpenFile(Posix.O_WRONLY | Posix.O_NONBLOCK, 0, out var errno) ?? throw FileErrors.Throw(errno, path, "write");
        var fd = (int)handle.DangerousGetHandle();
        var st = Posix.FStat(fd, out errno);
        if (st is not { IsRegular: true } s || target.Existing is not { } was || s.Inode != was.Inode)
            throw ReshError.Conflict($"{FilePaths.Display(path)} changed while it was being written.", "Retry.").ToException();
        try
        {
            long written;
            using (var fs = new FileStream(handle, FileAccess.Write, 1))
            {
                fs.Position = 0;
                await writer(fs, ctx.Cancellation).ConfigureAwait(false);
                fs.Flush(flushToDisk: false);
                written = fs.Position;
                FileErrors.Check(Posix.FTruncate(fd, written), path, "write");
                if (options.Owner.Uid is not null || options.Owner.Gid is not null)
                    SetOwner(ctx, fd, path, options.Owner.Uid, options.Owner.Gid, options.Owner);
                if (options.Mode is { } m) FileErrors.Check(Posix.FChmod(fd, m), path, "set the mode of");
                FileErrors.Check(Posix.FSync(fd), path, "write");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FileErrors.FromException(ex, path, "write").ToException();
        }
    }

    static void SetOwner(VerbContext ctx, int fd, string path, uint? uid, uint? gid, Ownership asked)
    {
        if (uid is null && gid is null) return;
        var st = Posix.FStat(fd, out _);
        if (st is not { } t || ((uid is null || t.Uid == uid) && (gid is null || t.Gid == gid))) return;
        var errno = Posix.FChown(fd, uid ?? uint.MaxValue, gid ?? uint.MaxValue);
        if (errno == 0) return;
        if (!asked.IsKeep) throw FileErrors.Throw(errno, path, "set the owner of");
        ctx.Warn($"Could not keep the owner of {FilePaths.Display(path)} ({Posix.StrError(errno)}); the new content belongs to you.");
    }

    /// <summary>Flushes a directory entry (after a rename) to disk; best effort where the directory cannot be opened for it.</summary>
    public static void SyncDirectory(int dirFd)
    {
        var fd = Posix.OpenAt(dirFd, ".", Posix.O_RDONLY | Posix.O_DIRECTORY);
        if (fd < 0) return;
        Posix.FSync(fd);
        Posix.Close(fd);
    }

    /// <summary>A hidden sibling name that cannot collide with a real file or another writer (the name is cut to keep under 255 bytes).</summary>
    public static string TempName(string name) => $".{TempStem(name)}.resh-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}.tmp";

    /// <summary>The part of a file's name its temporary siblings carry (cut to 180 bytes).</summary>
    public static string TempStem(string name)
    {
        while (PathBytes.Encode(name).Length > 180) name = name[..^1];
        return name;
    }

    /// <summary>The name the backup of <paramref name="name"/> gets now in <paramref name="dirFd"/> (Ansible's habit: a timestamped sibling ending in ~).</summary>
    public static string BackupName(int dirFd, string name)
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss.fff'Z'", CultureInfo.InvariantCulture);
        var candidate = $"{name}.{stamp}~";
        for (int i = 1; Posix.StatAt(dirFd, candidate, false, out _) is not null; i++) candidate = $"{name}.{stamp}.{i}~";
        return candidate;
    }

    /// <summary>Keeps the current version: a hard link when possible (instant, the old inode stays intact), else a copy.</summary>
    static string MakeBackup(VerbContext ctx, WriteTarget target)
    {
        var name = BackupName(target.DirFd, target.Name);
        var full = target.Resolved.Directory == "/" ? "/" + name : target.Resolved.Directory + "/" + name;
        if (Posix.LinkAt(target.DirFd, target.Name, target.DirFd, name) == 0) return full;
        using var src = target.OpenFile(Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out var errno) ?? throw FileErrors.Throw(errno, target.Path, "back up");
        using var dst = Posix.OpenHandle(target.DirFd, name, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW, target.Existing!.Value.Permissions & 0x1FF, out errno)
            ?? throw FileErrors.Throw(errno, full, "back up to");
        int srcFd = (int)src.DangerousGetHandle(), dstFd = (int)dst.DangerousGetHandle();
        FileErrors.Guard(full, "back up to", () =>
        {
            using var input = new FileStream(new SafeFileHandle(srcFd, ownsHandle: false), FileAccess.Read, 1);
            using var output = new FileStream(new SafeFileHandle(dstFd, ownsHandle: false), FileAccess.Write, 1);
            input.CopyTo(output, 1 << 16);
        });
        if (Posix.TimesAt(srcFd, "", true) is { } t) Posix.SetTimesAt(dstFd, null, t, true);
        return full;
    }
}
