using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>The current content of a file as far as a rewrite needs it: equal or not, and the bytes when small enough to diff.</summary>
internal sealed record OldContent(bool Same, long Size, byte[]? Bytes);

/// <summary>Reading existing content for comparisons and diffs, in bounded memory.</summary>
internal static class FileContent
{
    /// <summary>Compares a regular file with <paramref name="content"/>; streams when the file is too large to keep.</summary>
    public static OldContent Compare(string path, FileStatus st, ReadOnlySpan<byte> content, CancellationToken ct)
    {
        if (st.Size <= ContentDiff.MaxDiffInput)
        {
            var bytes = ReadAll(path, ContentDiff.MaxDiffInput * 2L, ct);
            return new OldContent(bytes.AsSpan().SequenceEqual(content), bytes.Length, bytes);
        }
        if (st.Size != content.Length) return new OldContent(false, st.Size, null);
        return new OldContent(StreamEquals(path, content, ct), st.Size, null);
    }

    static bool StreamEquals(string path, ReadOnlySpan<byte> content, CancellationToken ct)
    {
        using var handle = FileErrors.Guard(path, "read", () => System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan));
        var buffer = new byte[1 << 20];
        long pos = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            int n = RandomAccess.Read(handle, buffer, pos);
            if (n == 0) return pos == content.Length;
            if (pos + n > content.Length || !buffer.AsSpan(0, n).SequenceEqual(content.Slice((int)pos, n))) return false;
            pos += n;
        }
    }

    /// <summary>Whole content of a file, refusing more than <paramref name="max"/> bytes.</summary>
    public static byte[] ReadAll(string path, long max, CancellationToken ct)
    {
        return FileErrors.Guard(path, "read", () =>
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            using var ms = new MemoryStream();
            var buffer = new byte[1 << 16];
            int n;
            while ((n = fs.Read(buffer)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                ms.Write(buffer, 0, n);
                if (ms.Length > max)
                    throw ReshError.Failed($"{path} is larger than {max} bytes, too large to edit in memory.", "Edit a smaller file, or rewrite it with write content=@file.").ToException();
            }
            return ms.ToArray();
        });
    }

    /// <summary>The diff from the old content (null: the file does not exist) to the new.</summary>
    public static string? Diff(OldContent? old, ReadOnlySpan<byte> content, string path)
    {
        if (old is null) return ContentDiff.Between([], false, content, path);
        if (old.Bytes is null) return ContentDiff.TooLarge(path, old.Size, content.Length);
        return ContentDiff.Between(old.Bytes, true, content, path);
    }

    /// <summary>Valid UTF-8 without NUL bytes counts as text.</summary>
    public static bool IsText(ReadOnlySpan<byte> data) => FileRead.IsText(data);
}
