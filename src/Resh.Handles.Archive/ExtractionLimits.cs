using Resh.Core.Errors;
using Resh.Core.Values;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>
/// Bounds on what an archive may expand to; crossing one stops the extraction with <c>failed</c>.
/// The defaults follow what operators of bsdtar, 7-Zip and Python's tarfile live with (none of them
/// caps the ratio of an ordinary archive): the real bound is the room on the destination's file system
/// (<see cref="FreeSpace"/>), checked up front against the sizes zip and 7z declare and while
/// streaming; the ratio guard only judges past <see cref="RatioFloor"/> of output, so a tar.zst of a
/// GiB of zeros or a sparse image extracts, while a tiny archive cannot fill a disk.
/// </summary>
/// <param name="BytesAreFreeSpace">True when <paramref name="MaxBytes"/> is the destination's free space (no max_bytes given): holes of sparse files take no room and do not count.</param>
public sealed record ExtractionLimits(long MaxBytes, long MaxEntries, double MaxRatio, bool BytesAreFreeSpace = false)
{
    /// <summary>The ratio is only judged past this much output.</summary>
    public const long RatioFloor = 4L << 30;

    /// <summary>The default max_ratio (0 turns the guard off).</summary>
    public const long DefaultRatio = 1000;

    /// <summary>
    /// Bytes an unprivileged writer may still put on the file system holding <paramref name="path"/> (or
    /// its nearest existing parent): statvfs f_bavail × f_frsize, as df's "Avail", less 1% and 1 MiB for
    /// metadata; null when unknown.
    /// </summary>
    public static long? FreeSpace(string path)
    {
        for (var p = path; !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
        {
            if (NativeFs.StatVfs(p, out _) is { } vfs)
            {
                var avail = (long)Math.Min(vfs.Bavail * Math.Max(vfs.Frsize, 1), long.MaxValue / 2);
                return Math.Max(0, avail - avail / 100 - (1L << 20)); // a margin for the directories and metadata the files need
            }
            if (p == "/") break;
        }
        return null;
    }

    public void CheckEntries(long entries)
    {
        if (entries > MaxEntries)
            throw Stop($"The archive has more than {MaxEntries} entries (max_entries).", "max_entries", entries);
    }

    /// <param name="written">Content bytes written so far.</param>
    /// <param name="consumed">Compressed bytes read so far.</param>
    /// <param name="holes">Bytes of sparse-file holes: content for an explicit max_bytes, but nothing was expanded to make them.</param>
    public void CheckBytes(long written, long consumed, long holes = 0)
    {
        var counted = BytesAreFreeSpace ? written : written + holes;
        if (counted > MaxBytes)
            throw BytesAreFreeSpace
                ? Stop($"The archive expands to more than the {SizeValue.Human(MaxBytes)} free on the destination's file system: likely a decompression bomb, or too little room.", "max_bytes", counted,
                    "Nothing was written. Free some space or extract elsewhere; if the archive is trusted and its size is known, pass max_bytes.")
                : Stop($"The archive expands beyond {SizeValue.Human(MaxBytes)} (max_bytes).", "max_bytes", counted);
        if (MaxRatio > 0 && written > RatioFloor && consumed > 0 && (double)written / consumed > MaxRatio)
            throw Stop($"The archive expands more than {MaxRatio}x its compressed size past {SizeValue.Human(RatioFloor)} (max_ratio): likely a decompression bomb.", "max_ratio", written,
                "Nothing was written. If the archive is trusted (a disk image of zeros), raise max_ratio or pass max_ratio=0.");
    }

    static ReshException Stop(string message, string limit, long value, string? hint = null) =>
        ReshError.Failed(message, hint ?? $"Nothing was written. If the archive is trusted, raise {limit}.",
            new System.Text.Json.Nodes.JsonObject { ["limit"] = limit, ["reached"] = value }).ToException();
}
