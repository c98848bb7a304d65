using Microsoft.Win32.SafeHandles;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>The current content of a file as far as a rewrite needs it: equal or not, and the bytes when small enough to diff.</summary>
internal sealed record OldContent(bool Same, long Size, byte[]? Bytes);

/// <summary>Reading existing content for comparisons and diffs, in bounded memory, through descriptors.</summary>
internal static class FileContent
{
    /// <summary>Compares the target's current content with <paramref name="content"/>; streams when the file is too large to keep.</summary>
    public static OldContent Compare(WriteTarget target, FileStatus st, ReadOnlySpan<byte> content, CancellationToken ct)
    {
        using var handle = target.OpenFile(Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out var errno) ?? throw FileErrors.Throw(errno, target.Path, "read");
        if (st.Size <= ContentDiff.MaxDiffInput)
        {
            var bytes = ReadAll(handle, target.Path, ContentDiff.MaxDiffInput * 2L, ct);
            return new OldContent(bytes.AsSpan().SequenceEqual(content), bytes.Length, bytes);
        }
        if (st.Size != content.Length) return new OldContent(false, st.Size, null);
        var buffer = new byte[1 << 20];
        long pos = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            int n = RandomAccess.Read(handle, buffer, pos);
            if (n == 0) return new OldContent(pos == content.Length, st.Size, null);
            if (pos + n > content.Length || !buffer.AsSpan(0, n).SequenceEqual(content.Slice((int)pos, n))) return new OldContent(false, st.Size, null);
            pos += n;
        }
    }

    /// <summary>Whole content of an open file read to its end (not to its stat size), refusing more than <paramref name="max"/> bytes.</summary>
    public static byte[] ReadAll(SafeFileHandle handle, string path, long max, CancellationToken ct)
    {
        return FileErrors.Guard(path, "read", () =>
        {
            long hint = 0;
            try { hint = RandomAccess.GetLength(handle); } catch (IOException) { }
            var buffer = new byte[Math.Clamp(hint + 1, 4096, Math.Min(max + 1, 1 << 24))];
            long total = 0;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (total == buffer.Length)
                {
                    if (total > max)
                        throw ReshError.Failed($"{FilePaths.Display(path)} is larger than {max} bytes, too large to edit in memory.", "Edit a smaller file, or rewrite it with write content=@file.").ToException();
                    Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, Math.Min(max + 1, Array.MaxLength)));
                }
                var n = RandomAccess.Read(handle, buffer.AsSpan((int)total), total);
                if (n == 0) break;
                total += n;
            }
            if (total > max)
                throw ReshError.Failed($"{FilePaths.Display(path)} is larger than {max} bytes, too large to edit in memory.", "Edit a smaller file, or rewrite it with write content=@file.").ToException();
            return total == buffer.Length ? buffer : buffer.AsSpan(0, (int)total).ToArray();
        });
    }

    /// <summary>Whole content of a file by path (following links, as a read does).</summary>
    public static byte[] ReadAll(string path, long max, CancellationToken ct)
    {
        using var handle = Posix.OpenHandle(Posix.AT_FDCWD, path, Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out var errno) ?? throw FileErrors.Throw(errno, path, "read");
        return ReadAll(handle, path, max, ct);
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
