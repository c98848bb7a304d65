namespace Resh.Core.Platform;

/// <summary>
/// Atomic replacement of a file's content (SPEC §8): write a temporary file in the same directory,
/// fsync it, rename it over the target, fsync the directory. A crash leaves the old or the new
/// content, never a mix.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>. <paramref name="prepare"/> runs on the
    /// temporary file before the rename (set mode, owner, xattrs).</summary>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null, Action<string>? prepare = null)
    {
        var bytes = content.ToArray();
        WriteAsync(path, (fs, ct) => { fs.Write(bytes); return Task.CompletedTask; }, mode, prepare, CancellationToken.None, asynchronous: false)
            .GetAwaiter().GetResult();
    }

    /// <summary>Streams into a temporary file, then renames; for content too large to hold in memory.</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> writer, UnixFileMode? mode, Action<string>? prepare,
        CancellationToken ct, bool asynchronous = true)
    {
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
                fs.Flush(flushToDisk: true);
            }
            prepare?.Invoke(temp);
            tracked.Commit(() => File.Move(temp, full, overwrite: true));
            LibC.FSyncDirectory(dir);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

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
