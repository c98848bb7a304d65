using Resh.Core.Errors;
using Resh.Core.Values;

namespace Resh.Handles.Archive;

/// <summary>Bounds on what an archive may expand to; crossing one stops the extraction with <c>failed</c>.</summary>
public sealed record ExtractionLimits(long MaxBytes, long MaxEntries, double MaxRatio)
{
    /// <summary>The ratio is only judged past this much output, so a tiny file of zeros is not a bomb.</summary>
    public const long RatioFloor = 8L << 20;

    public void CheckEntries(long entries)
    {
        if (entries > MaxEntries)
            throw Stop($"The archive has more than {MaxEntries} entries (max_entries).", "max_entries", entries);
    }

    /// <param name="written">Content bytes written so far.</param>
    /// <param name="consumed">Compressed bytes read so far.</param>
    /// <param name="holes">Bytes of sparse-file holes: content for max_bytes, but nothing was expanded to make them.</param>
    public void CheckBytes(long written, long consumed, long holes = 0)
    {
        if (written + holes > MaxBytes)
            throw Stop($"The archive expands beyond {SizeValue.Human(MaxBytes)} (max_bytes).", "max_bytes", written + holes);
        if (written > RatioFloor && consumed > 0 && (double)written / consumed > MaxRatio)
            throw Stop($"The archive expands more than {MaxRatio}x its compressed size (max_ratio): likely a decompression bomb.", "max_ratio", written);
    }

    static ReshException Stop(string message, string limit, long value) =>
        ReshError.Failed(message, $"Nothing was written. If the archive is trusted, raise {limit}.",
            new System.Text.Json.Nodes.JsonObject { ["limit"] = limit, ["reached"] = value }).ToException();
}
