using Microsoft.Win32.SafeHandles;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Archive.Formats.Tar;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>What to carry from disk into an archive besides content and the usual metadata.</summary>
public sealed record CaptureOptions(bool Sparse = true, bool Xattrs = false, bool Acls = false);

/// <summary>Opens the right writer and writes archives atomically (temporary sibling, fsync, rename).</summary>
public static class ArchiveBuilder
{
    public static ArchiveWriter OpenWriter(Stream file, ArchiveFormat format, int? level, string? password, CancellationToken ct, TarDialect dialect = TarDialect.Gnu)
    {
        if (password is not null && format.Container != Container.Zip)
            throw ReshError.Unsupported($"Encryption is only available for zip archives, not {format.Name}.",
                "Use a .zip target (AES-256), or encrypt the file with another tool; resh never writes an unencrypted archive when a password was given.").ToException();
        return format.Container switch
        {
            Container.Tar => new TarFormatWriter(file, format.Codec, level, ct, dialect),
            Container.Zip => new ZipFormatWriter(file, level, password),
            _ => throw new InvalidOperationException("7z and bare streams have no entry writer"),
        };
    }

    /// <summary>The stored header for a path on disk, with deterministic mode's fixed times and owners.</summary>
    public static ArchiveItem ToItem(SourceEntry e, bool deterministic, DateTimeOffset fixedTime)
    {
        var st = e.Status;
        var mtime = deterministic ? fixedTime : TruncateToSeconds(st.ModifyTime);
        return new ArchiveItem(e.Name, e.Kind, e.Kind == ItemKind.File ? st.Size : 0, st.Permissions, mtime,
            deterministic ? 0 : st.Uid, deterministic ? 0 : st.Gid,
            deterministic ? null : Users.UserName(st.Uid), deterministic ? null : Users.GroupName(st.Gid),
            e.LinkTarget, st.RdevMajor, st.RdevMinor);
    }

    /// <summary>GNU tar's default format keeps whole seconds; so do resh's tar and zip (pax keeps more when asked for).</summary>
    static DateTimeOffset TruncateToSeconds(DateTimeOffset t) => DateTimeOffset.FromUnixTimeSeconds(t.ToUnixTimeSeconds());

    /// <summary>SOURCE_DATE_EPOCH when set (reproducible builds), else the Unix epoch.</summary>
    public static DateTimeOffset DeterministicTime()
    {
        var env = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        return long.TryParse(env, out var secs) && secs >= 0 ? DateTimeOffset.FromUnixTimeSeconds(secs) : DateTimeOffset.UnixEpoch;
    }

    /// <summary>
    /// Writes a new file next to <paramref name="path"/> (created exclusively, by directory handle) and
    /// renames it over <paramref name="path"/> after an fsync. <paramref name="finish"/> may set the new
    /// file's metadata on its descriptor before the rename. When the new bytes equal the existing
    /// file's, the file is left alone and the result says unchanged. On any failure the temporary file is removed.
    /// </summary>
    public static (bool Changed, long Size) WriteAtomically(string path, Action<Stream> write, Action<int>? finish = null)
    {
        var dir = Path.GetDirectoryName(path) ?? "/";
        var name = Path.GetFileName(path);
        var dirFd = FdTree.OpenDirectory(dir);
        if (AtCalls.StatAt(dirFd, name, false, out _) is { IsRegular: false } present)
        {
            AtCalls.Close(dirFd);
            throw NotRegular(path, present).ToException();
        }
        var temp = $".{(name.Length > 100 ? name[..100] : name)}.resh-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        var done = false;
        // Registered so that every way out of resh (the --timeout/SIGTERM watchdog included) removes it,
        // and so that the rename below cannot happen once that cleanup has begun.
        using var tracked = Cleanup.Track(Path.Combine(dir, temp));
        try
        {
            var fd = AtCalls.OpenAt(dirFd, temp, AtCalls.O_RDWR | AtCalls.O_CREAT | AtCalls.O_EXCL | AtCalls.O_NOFOLLOW, 0x1B6);
            if (fd < 0) throw ArchiveErrors.FromErrno(-fd, Path.Combine(dir, temp)).ToException();
            TempFiles.Register(dir, temp);
            long size;
            using (var fs = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.ReadWrite, 1 << 16))
            {
                using (var kept = new KeepOpenStream(fs)) write(kept);
                fs.Flush(flushToDisk: true);
                size = fs.Length;
                finish?.Invoke(fd);
            }
            var existing = AtCalls.StatAt(dirFd, name, false, out _);
            if (existing is { IsRegular: true } && existing.Value.Size == size && FdTree.SameContent(dirFd, name, dirFd, temp))
            {
                AtCalls.UnlinkAt(dirFd, temp, directory: false);
                tracked.Forget();
                done = true;
                return (false, size);
            }
            if (existing is { IsRegular: false }) throw NotRegular(path, existing.Value).ToException();
            var rc = 0;
            tracked.Commit(() => rc = AtCalls.RenameAt(dirFd, temp, dirFd, name));
            if (rc != 0) throw ArchiveErrors.FromErrno(rc, path).ToException();
            done = true;
            AtCalls.FSync(dirFd);
            return (true, size);
        }
        finally
        {
            if (!done) AtCalls.UnlinkAt(dirFd, temp, directory: false);
            TempFiles.Unregister(dir, temp);
            AtCalls.Close(dirFd);
        }
    }

    /// <summary>
    /// The refusal for an output path that is a symlink, directory, device, FIFO or socket: renaming over it
    /// would silently replace the link (or the device node) with a regular file.
    /// </summary>
    public static ReshError NotRegular(string path, Resh.Core.Platform.FileStatus st)
    {
        var what = st.IsSymlink ? "a symlink" : st.IsDirectory ? "a directory" : "not a regular file";
        return ReshError.Conflict($"{PathBytes.Display(path)} is {what}; resh does not replace it with a new file.",
            st.IsSymlink ? "Name the link's target itself, or remove the link first." : "Write to a regular file path; writing to a device, pipe or socket is not supported.");
    }

    /// <summary>
    /// Copies one entry of a source tree into the writer: opened beneath its root without following
    /// symlinks, read at the size it had when opened, holes kept (tar), xattrs and ACLs read from the
    /// descriptor when asked for. Returns a warning when the file changed or vanished while archiving.
    /// </summary>
    public static string? AddFromDisk(ArchiveWriter writer, SourceEntry e, ArchiveItem item, SourceRoots roots, CaptureOptions capture)
    {
        var asFile = item.Kind == ItemKind.File || (item.Kind == ItemKind.Hardlink && writer is not TarFormatWriter);
        var wantsMeta = writer.SupportsXattrs && (capture.Xattrs || capture.Acls) && item.Kind is ItemKind.File or ItemKind.Directory;
        if (!asFile && !wantsMeta)
        {
            writer.Add(item, null);
            return null;
        }
        var flags = AtCalls.O_RDONLY | AtCalls.O_NOFOLLOW | AtCalls.O_NONBLOCK | (item.Kind == ItemKind.Directory ? AtCalls.O_DIRECTORY : 0);
        var fd = AtCalls.OpenBeneath(roots.Get(e.Root), e.Rel, flags);
        if (fd < 0)
        {
            if (-fd is AtCalls.ENOENT or AtCalls.ELOOP or AtCalls.ENOTDIR or AtCalls.EXDEV)
                return $"{PathBytes.Display(e.Name)}: vanished or was replaced while the archive was written; left out";
            throw ArchiveErrors.FromErrno(-fd, Path.Combine(e.Root, e.Rel)).ToException();
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        var st = AtCalls.FStat(fd, out _);
        if (st is null || st.Value.FileType != e.Status.FileType)
            return $"{PathBytes.Display(e.Name)}: changed type while the archive was written; left out";
        if (wantsMeta) item = WithXattrs(fd, item, capture);
        if (!asFile)
        {
            writer.Add(item, null);
            return null;
        }
        var size = st.Value.Size;
        if (writer.SupportsSparse && capture.Sparse && st.Value.Blocks * 512 < size && AtCalls.DataRegions(fd, size) is { } regions
            && regions.Sum(r => r.Length) < size)
        {
            var map = new SparseMap(size, regions);
            using var packed = new RegionStream(handle, regions);
            writer.Add(item with { Kind = ItemKind.File, Size = size, LinkTarget = null, Sparse = map }, packed);
            return null;
        }
        using var data = SourceFileStream.Open(handle);
        writer.Add(item with { Kind = ItemKind.File, Size = data.Length, LinkTarget = null }, data);
        return data.Changed
            ? $"{PathBytes.Display(e.Name)}: the file changed size while it was read; stored at its size when opened (cut or zero-padded), as GNU tar does"
            : null;
    }

    static ArchiveItem WithXattrs(int fd, ArchiveItem item, CaptureOptions capture)
    {
        var names = AtCalls.FListXattr(fd, out _);
        if (names is null || names.Count == 0) return item;
        List<KeyValuePair<string, byte[]>>? xattrs = null;
        string? access = null, @default = null;
        foreach (var n in names.Order(StringComparer.Ordinal))
        {
            var value = AtCalls.FGetXattr(fd, n, out _);
            if (value is null) continue;
            if (n == PosixAcl.AccessXattr) { if (capture.Acls) access = PosixAcl.ToText(value, isDefault: false); }
            else if (n == PosixAcl.DefaultXattr) { if (capture.Acls) @default = PosixAcl.ToText(value, isDefault: true); }
            else if (capture.Xattrs && !n.StartsWith("system.", StringComparison.Ordinal)) (xattrs ??= []).Add(new(n, value));
        }
        return item with { Xattrs = xattrs, AclAccess = access, AclDefault = @default };
    }

    /// <summary>The data regions of a sparse file, read back to back.</summary>
    sealed class RegionStream(SafeFileHandle handle, List<(long Offset, long Length)> regions) : ForwardReadStream
    {
        int _region;
        long _within;

        public override bool CanRead => true;

        public override int Read(Span<byte> buffer)
        {
            while (_region < regions.Count && _within == regions[_region].Length) { _region++; _within = 0; }
            if (_region == regions.Count || buffer.Length == 0) return 0;
            var (offset, length) = regions[_region];
            var want = (int)Math.Min(buffer.Length, length - _within);
            var n = RandomAccess.Read(handle, buffer[..want], offset + _within);
            if (n == 0) { buffer[..want].Clear(); n = want; } // shrank while read: zeros, as GNU tar pads
            _within += n;
            return n;
        }
    }
}

/// <summary>A view of a stream whose disposal leaves the stream open (compressors close what they wrap).</summary>
internal sealed class KeepOpenStream(Stream inner) : Stream
{
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void SetLength(long value) => inner.SetLength(value);
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Flush();
        base.Dispose(disposing);
    }
}

/// <summary>The source roots of one archive write, each opened once (following the path the user gave).</summary>
public sealed class SourceRoots : IDisposable
{
    readonly Dictionary<string, int> _fds = new(StringComparer.Ordinal);

    public int Get(string root)
    {
        if (!_fds.TryGetValue(root, out var fd)) _fds[root] = fd = FdTree.OpenDirectory(root);
        return fd;
    }

    public void Dispose()
    {
        foreach (var fd in _fds.Values) AtCalls.Close(fd);
        _fds.Clear();
    }
}

/// <summary>
/// Temporary files of this process that must not outlive it: removed on the normal path by their
/// writer, and here when the process is stopped first (--timeout, SIGTERM). The core's process-wide
/// cleanup registry takes this role once it exists; until then the exit hook runs it.
/// </summary>
public static class TempFiles
{
    static readonly HashSet<(string Dir, string Name)> Live = [];
    static bool s_hooked;

    public static void Register(string dir, string name)
    {
        lock (Live)
        {
            Live.Add((dir, name));
            if (s_hooked) return;
            s_hooked = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAll();
        }
    }

    public static void Unregister(string dir, string name)
    {
        lock (Live) Live.Remove((dir, name));
    }

    public static void RemoveAll()
    {
        (string, string)[] all;
        lock (Live) { all = Live.ToArray(); Live.Clear(); }
        foreach (var (dir, name) in all)
        {
            var fd = AtCalls.OpenAt(AtCalls.AT_FDCWD, dir, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY);
            if (fd < 0) continue;
            FdTree.TryRemove(fd, name);
            AtCalls.Close(fd);
        }
    }
}
