using System.IO.Compression;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Log;

/// <summary>
/// The files of one rotation: NAME.1 ... NAME.keep, each plain, .gz or .zst. Every step works on names in the log's
/// directory and never follows a symbolic link (rename and unlink act on the link itself; reads use O_NOFOLLOW).
/// </summary>
sealed class LogRotation(string path)
{
    public string Path { get; } = path;

    public string Numbered(int n, LogCompression c) => $"{Path}.{n}{c.Suffix()}";

    public static readonly LogCompression[] Kinds = [LogCompression.Gzip, LogCompression.Zstd, LogCompression.None];

    /// <summary>NAME.n, NAME.n.gz or NAME.n.zst, whichever exists (null: none).</summary>
    public string? Existing(int n)
    {
        foreach (var c in Kinds)
            if (Posix.Stat(Numbered(n, c), false, out _) is not null) return Numbered(n, c);
        return null;
    }

    /// <summary>Removes copies above <paramref name="keep"/> - 1 that a shift would push past keep, then moves NAME.k to NAME.k+1, highest first.</summary>
    public List<string> Shift(int keep, bool dryRun)
    {
        var removed = new List<string>();
        // Anything numbered keep or above goes (also leftovers of an earlier, larger keep=).
        var dir = System.IO.Path.GetDirectoryName(Path)!;
        var name = System.IO.Path.GetFileName(Path);
        foreach (var f in Directory.EnumerateFileSystemEntries(dir))
        {
            var n = System.IO.Path.GetFileName(f);
            if (!n.StartsWith(name + ".", StringComparison.Ordinal)) continue;
            var rest = n[(name.Length + 1)..];
            rest = LogCompressions.Strip(rest);
            if (int.TryParse(rest, System.Globalization.NumberStyles.None, null, out var k) && k >= keep && k > 0)
            {
                if (!dryRun) Check(Posix.UnlinkAt(Posix.AT_FDCWD, f, false), f, "remove");
                removed.Add(f);
            }
        }
        for (int k = keep - 1; k >= 1; k--)
        {
            if (Existing(k) is not { } from) continue;
            var to = Numbered(k + 1, LogCompressions.Of(from));
            if (!dryRun) Check(Posix.RenameAt(Posix.AT_FDCWD, from, Posix.AT_FDCWD, to), from, "rename");
        }
        removed.Sort(StringComparer.Ordinal);
        return removed;
    }

    /// <summary>Compresses a plain file to FILE.gz or FILE.zst (a temporary sibling renamed into place, same mode), then removes the plain one.</summary>
    public static string Compress(string file, LogCompression kind, CancellationToken ct)
    {
        var target = file + kind.Suffix();
        var temp = $"{System.IO.Path.GetDirectoryName(file)}/.{System.IO.Path.GetFileName(target)}.resh-{Environment.ProcessId}.tmp";
        var src = Posix.OpenHandle(Posix.AT_FDCWD, file, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0, out var errno)
            ?? throw Fail(errno, file, "read");
        using (src)
        {
            var mode = Posix.FStat((int)src.DangerousGetHandle(), out _)?.Permissions ?? 0x1A0;
            using var tmp = Cleanup.Track(temp);
            var dst = Posix.OpenHandle(Posix.AT_FDCWD, temp, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, mode, out errno)
                ?? throw Fail(errno, temp, "create");
            using (var output = new FileStream(dst, FileAccess.Write, 0))
            using (Stream packed = kind == LogCompression.Zstd ? new ZstdSharp.CompressionStream(output, 3) : new GZipStream(output, CompressionLevel.Optimal))
            using (var input = new FileStream(src, FileAccess.Read, 0))
            {
                input.CopyToAsync(packed, 1 << 20, ct).GetAwaiter().GetResult();
            }
            Posix.FChmodAt(Posix.AT_FDCWD, temp, mode, false);
            tmp.Commit(() => Check(Posix.RenameAt(Posix.AT_FDCWD, temp, Posix.AT_FDCWD, target), temp, "rename"));
        }
        Check(Posix.UnlinkAt(Posix.AT_FDCWD, file, false), file, "remove");
        return target;
    }

    static void Check(int rc, string path, string action)
    {
        if (rc != 0) throw Fail(Math.Abs(rc), path, action);
    }

    public static ReshException Fail(int errno, string path, string action) => errno switch
    {
        Posix.EACCES or Posix.EPERM => ReshError.PermissionDenied($"This user may not {action} {path}.", "Run as the log's owner or root.").ToException(),
        Posix.ELOOP => ReshError.Usage($"{path} is a symbolic link; rotation does not follow links.", "Remove the link, or rotate the file it points to.").ToException(),
        _ => ReshError.Failed($"Cannot {action} {path}: {Posix.StrError(errno)}.", "Check the directory and the disk.").ToException(),
    };
}
