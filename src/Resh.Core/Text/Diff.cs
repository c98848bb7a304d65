using DiffPlex.Renderer;

namespace Resh.Core.Text;

/// <summary>Unified diffs for --dry-run and content-changing verbs (DiffPlex).</summary>
public static class Diff
{
    /// <summary>A unified diff of two texts, or null when they are equal. Binary content gets a one-line note instead.</summary>
    public static string? Unified(string? oldText, string newText, string path, int context = 3)
    {
        oldText ??= "";
        if (oldText == newText) return null;
        // DiffPlex splits "a\n" into ["a", ""]: a final newline shows up as a phantom empty line and the
        // hunk counts one line too many, so the diff does not apply with patch(1). When neither side
        // lacks its final newline, drop it from both.
        if (EndsLine(oldText) && EndsLine(newText))
        {
            var o = oldText.EndsWith('\n') ? oldText[..^1] : oldText;
            var n = newText.EndsWith('\n') ? newText[..^1] : newText;
            if (o != n) (oldText, newText) = (o, n);
        }
        var diff = UnidiffRenderer.GenerateUnidiff(oldText, newText, "a" + Prefix(path), "b" + Prefix(path), false, false, context);
        return diff.EndsWith('\n') ? diff : diff + "\n";
    }

    /// <summary>Diff of two byte contents: a text diff when both are UTF-8 text, else a size note.</summary>
    public static string? Unified(ReadOnlySpan<byte> oldBytes, ReadOnlySpan<byte> newBytes, string path, bool oldExists)
    {
        if (oldExists && oldBytes.SequenceEqual(newBytes)) return null;
        if (IsText(oldBytes) && IsText(newBytes))
            return Unified(oldExists ? System.Text.Encoding.UTF8.GetString(oldBytes) : "", System.Text.Encoding.UTF8.GetString(newBytes), path);
        return $"Binary content of {path} differs ({(oldExists ? oldBytes.Length + " bytes" : "absent")} -> {newBytes.Length} bytes)\n";
    }

    static bool EndsLine(string text) => text.Length == 0 || text.EndsWith('\n');

    static bool IsText(ReadOnlySpan<byte> data) => data.IndexOf((byte)0) < 0 && System.Text.Unicode.Utf8.IsValid(data);

    static string Prefix(string path) => path.StartsWith('/') ? path : "/" + path;
}
