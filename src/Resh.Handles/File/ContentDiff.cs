using Resh.Core.Text;

namespace Resh.Handles.Files;

/// <summary>Unified diffs for envelopes, bounded so a large rewrite never floods the output.</summary>
internal static class ContentDiff
{
    /// <summary>Inputs above this size get a one-line note instead of a line diff.</summary>
    public const int MaxDiffInput = 1 << 20;
    /// <summary>Longer diffs are cut at a line boundary with a note.</summary>
    public const int MaxDiffOutput = 64 * 1024;

    public static string? Between(ReadOnlySpan<byte> oldBytes, bool oldExists, ReadOnlySpan<byte> newBytes, string path)
    {
        if (oldExists && oldBytes.SequenceEqual(newBytes)) return null;
        if (oldBytes.Length > MaxDiffInput || newBytes.Length > MaxDiffInput)
            return TooLarge(path, oldExists ? oldBytes.Length : null, newBytes.Length);
        return Cap(Diff.Unified(oldBytes, newBytes, FilePaths.Display(path), oldExists));
    }

    public static string TooLarge(string path, long? oldSize, long newSize) =>
        $"Content of {FilePaths.Display(path)} changes ({(oldSize is { } o ? o + " bytes" : "absent")} -> {newSize} bytes); too large to show a line diff.\n";

    public static string? Cap(string? diff)
    {
        if (diff is null || diff.Length <= MaxDiffOutput) return diff;
        var cut = diff.LastIndexOf('\n', MaxDiffOutput);
        if (cut < 0) cut = MaxDiffOutput;
        var rest = diff.AsSpan(cut).Count('\n');
        return string.Concat(diff.AsSpan(0, cut + 1), $"... diff truncated ({rest} more lines)\n");
    }
}
