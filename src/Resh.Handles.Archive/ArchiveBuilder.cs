using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>Opens the right writer and writes archives atomically (temporary sibling, fsync, rename).</summary>
public static class ArchiveBuilder
{
    public static ArchiveWriter OpenWriter(Stream file, ArchiveFormat format, int? level, string? password, CancellationToken ct)
    {
        if (password is not null && format.Container != Container.Zip)
            throw ReshError.Unsupported($"Encryption is only available for zip archives, not {format.Name}.",
                "Use a .zip target (AES-256), or encrypt the file with another tool; resh never writes an unencrypted archive when a password was given.").ToException();
        return format.Container switch
        {
            Container.Tar => new TarFormatWriter(file, format.Codec, level, ct),
            Container.Zip when password is not null => new EncryptedZipWriter(file, password, level),
            Container.Zip => new ZipFormatWriter(file, level),
            _ => throw new InvalidOperationException("7z and bare streams have no entry writer"),
        };
    }

    /// <summary>The stored header for a path on disk, with deterministic mode's fixed times and owners.</summary>
    public static ArchiveItem ToItem(SourceEntry e, bool deterministic, DateTimeOffset fixedTime)
    {
        var st = e.Status;
        var mtime = deterministic ? fixedTime : st.ModifyTime;
        return new ArchiveItem(e.Name, e.Kind, e.Kind == ItemKind.File ? st.Size : 0, st.Permissions, mtime,
            deterministic ? 0 : (int)st.Uid, deterministic ? 0 : (int)st.Gid,
            deterministic ? null : Users.UserName(st.Uid), deterministic ? null : Users.GroupName(st.Gid),
            e.LinkTarget, st.RdevMajor, st.RdevMinor);
    }

    /// <summary>SOURCE_DATE_EPOCH when set (reproducible builds), else the Unix epoch.</summary>
    public static DateTimeOffset DeterministicTime()
    {
        var env = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        return long.TryParse(env, out var secs) && secs >= 0 ? DateTimeOffset.FromUnixTimeSeconds(secs) : DateTimeOffset.UnixEpoch;
    }

    /// <summary>
    /// Writes the archive to a temporary sibling and renames it over <paramref name="path"/>. When the
    /// new bytes equal the existing file's, the file is left alone and the result says unchanged.
    /// </summary>
    public static (bool Changed, long Size) WriteAtomically(string path, Action<string> write)
    {
        var temp = AtomicFile.TempName(path);
        // Registered so that every way out of resh (the --timeout/SIGTERM watchdog included) removes it.
        using var tracked = Cleanup.Track(temp);
        try
        {
            write(temp);
            using (var fs = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite)) fs.Flush(flushToDisk: true);
            var size = new FileInfo(temp).Length;
            if (System.IO.File.Exists(path) && FileTree.SameContent(path, temp))
            {
                System.IO.File.Delete(temp);
                return (false, size);
            }
            tracked.Commit(() => System.IO.File.Move(temp, path, overwrite: true));
            LibC.FSyncDirectory(Path.GetDirectoryName(path)!);
            return (true, size);
        }
        catch
        {
            FileTree.TryRemove(temp);
            throw;
        }
    }

    /// <summary>
    /// Copies one entry of a source tree into the writer (file data streamed from disk, at the size the
    /// file had when opened). Returns false when the file changed size while it was read.
    /// </summary>
    public static bool AddFromDisk(ArchiveWriter writer, SourceEntry e, ArchiveItem item)
    {
        if (item.Kind == ItemKind.File || (item.Kind == ItemKind.Hardlink && writer is not TarFormatWriter))
        {
            using var data = SourceFileStream.Open(e.FullPath);
            var asFile = item with { Kind = ItemKind.File, Size = data.Length, LinkTarget = null };
            writer.Add(asFile, data);
            return !data.Changed;
        }
        writer.Add(item, null);
        return true;
    }
}
