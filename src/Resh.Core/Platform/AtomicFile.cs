namespace Resh.Core.Platform;

/// <summary>
/// Atomic replacement of a file's content (SPEC §8): write a temporary file in the same directory,
/// fsync it, rename it over the target, fsync the directory. A crash leaves the old or the new
/// content, never a mix.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>. <paramref name="prepare"/> runs on the
    /// temporary file before the rename (set mode, owner, xattrs). <paramref name="durable"/> false skips both fsyncs:
    /// the rename still makes the change atomic for readers, but a crash may leave the old content (for state that means
    /// nothing after a reboot, such as a lock lease whose holder died with the machine).</summary>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null, Action<string>? prepare = null, bool durable = true)
    {
        var bytes = content.ToArray();
        WriteAsync(path, (fs, ct) => { fs.Write(bytes); return Task.CompletedTask; }, mode, prepare, CancellationToken.None, asynchronous: false, durable: durable)
            .GetAwaiter().GetResult();
    }

    /// <summary>Streams into a temporary file, then renames; for content too large to hold in memory.</summary>
    /// <param name="callerNamed">The path comes from the caller (an output= argument), not from resh's own state: under a
    /// surface's path patterns it is written through its directory's descriptor, judged on the kernel's name (PathConfinement).</param>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> writer, UnixFileMode? mode, Action<string>? prepare,
        CancellationToken ct, bool asynchronous = true, bool callerNamed = false, bool durable = true)
    {
        if (callerNamed && PathConfinement.Active)
        {
            await WriteConfinedAsync(path, writer, mode, prepare, ct).ConfigureAwait(false);
            return;
        }
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var temp = TempName(full);
        using var tracked = Cleanup.Track(temp);
        try
        {
            await using (var fs = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = asynchronous ? FileOptions.Asynchronous : FileOptions.None,
                UnixCreateMode = mode ?? (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead),
            }))
            {
                await writer(fs, ct).ConfigureAwait(false);
                // The mode is set on the descriptor, never by path: in a directory another user can write, the
                // temporary name may be swapped for a symlink meanwhile, and a chmod by path would follow it.
                if (mode is { } m && Posix.FChmod((int)fs.SafeFileHandle.DangerousGetHandle(), (uint)m) is var e and not 0)
                    throw new IOException($"{temp}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(e)}", e);
                fs.Flush(flushToDisk: durable);
            }
            prepare?.Invoke(temp);
            tracked.Commit(() => File.Move(temp, full, overwrite: true));
            if (durable) LibC.FSyncDirectory(dir);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// As <see cref="WriteAsync"/>, every step relative to the directory's descriptor as resolved and judged once
    /// (PathConfinement): the temporary file is created there (O_EXCL, O_NOFOLLOW) and renamed there.
    /// </summary>
    static async Task WriteConfinedAsync(string path, Func<Stream, CancellationToken, Task> writer, UnixFileMode? mode, Action<string>? prepare, CancellationToken ct)
    {
        using var parent = PathConfinement.Parent(path, PathAct.Write, f => ResolveError(path, f))!;
        if (parent.Name == ".") throw Errors.ReshError.Usage($"{path} is a directory; a file is needed.", "Name a file inside it.").ToException();
        var leaf = TempLeaf(parent.Name);
        var createMode = (uint)(mode ?? (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead));
        var handle = Posix.OpenHandle(parent.DirFd, leaf, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW, createMode, out var errno)
            ?? throw new IOException($"{path}: {Posix.StrError(errno)}", errno);
        var tempByFd = $"/proc/self/fd/{parent.DirFd}/{leaf}";
        using var tracked = Cleanup.Track(tempByFd);
        try
        {
            await using (var fs = new FileStream(handle, FileAccess.Write, 1))
            {
                await writer(fs, ct).ConfigureAwait(false);
                if (mode is { } m && Posix.FChmod((int)handle.DangerousGetHandle(), (uint)m) is var e and not 0)
                    throw new IOException($"{path}: {Posix.StrError(e)}", e);
                fs.Flush(flushToDisk: true);
            }
            prepare?.Invoke(tempByFd);
            tracked.Commit(() =>
            {
                var rc = Posix.RenameAt(parent.DirFd, leaf, parent.DirFd, parent.Name);
                if (rc != 0) throw new IOException($"{path}: {Posix.StrError(rc)}", rc);
            });
            LibC.FSyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        catch
        {
            Posix.UnlinkAt(parent.DirFd, leaf, directory: false);
            throw;
        }
    }

    static Errors.ReshError ResolveError(string path, SafePath.Failure failure) =>
        failure.RefusedLink is { } link
            ? Errors.ReshError.PermissionDenied($"Refusing to follow the symlink {link}: it sits in a sticky world-writable directory and belongs to another user (the fs.protected_symlinks rule).", "Write to the real path.")
            : failure.Errno == Posix.ENOENT
                ? Errors.ReshError.NotFound($"The directory of {path} does not exist ({failure.At}).", "Create it first.")
                : Errors.ReshError.Failed($"Cannot write {path}: {Posix.StrError(failure.Errno)} ({failure.At}).", null);

    /// <summary>A hidden sibling name that cannot collide with a real file or another writer.</summary>
    public static string TempName(string fullPath) => Path.Combine(Path.GetDirectoryName(fullPath)!, TempLeaf(Path.GetFileName(fullPath)));

    /// <summary>The temporary sibling's own name for an entry called <paramref name="name"/> (hidden, unique, under 255 bytes).</summary>
    public static string TempLeaf(string name) =>
        $".{(name.Length > 180 ? name[..180] : name)}.resh-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}.tmp";

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
