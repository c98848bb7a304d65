using Resh.Core.Errors;
using Resh.Handles.Archive.Formats;

namespace Resh.Handles.Archive;

/// <summary>
/// Rewrites an archive into a temporary sibling (old entries streamed across, some dropped, new ones
/// appended) and renames it into place, so add and remove are atomic.
/// </summary>
public static class ArchiveRewriter
{
    public static long Rewrite(string path, string? formatName, string? password, Func<ArchiveItem, bool> keep,
        IReadOnlyList<(SourceEntry Entry, ArchiveItem Item)> additions, CancellationToken ct)
    {
        using var probe = ArchiveOpener.Open(path, formatName, password, null);
        var format = probe.Format;
        if (format.Container == Container.SevenZip)
            throw ReshError.Unsupported("7z archives cannot be rewritten by resh (7z is read-only here).", "Extract, change the tree, and create a new archive.").ToException();
        var encrypted = probe is EncryptedZipReader;
        probe.Dispose();
        var (_, size) = ArchiveBuilder.WriteAtomically(path, temp =>
        {
            using var reader = ArchiveOpener.Open(path, formatName, password, null);
            using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            using var writer = ArchiveBuilder.OpenWriter(file, format, null, encrypted ? password : null, ct);
            while (reader.Next() is { } item)
            {
                ct.ThrowIfCancellationRequested();
                if (!keep(item)) continue;
                if (item.Kind == ItemKind.File)
                {
                    using var data = Seekable(reader.OpenData(), item.Size);
                    writer.Add(item, data);
                }
                else writer.Add(item, null);
            }
            foreach (var (entry, item) in additions)
            {
                ct.ThrowIfCancellationRequested();
                if (writer.Supports(entry.Kind)) ArchiveBuilder.AddFromDisk(writer, entry, item);
            }
            writer.Finish();
        });
        return size;
    }

    /// <summary>TarWriter needs a data stream whose length it can read; a tar reader's entry stream has none, so buffer it.</summary>
    static Stream Seekable(Stream data, long size)
    {
        if (data.CanSeek) return data;
        Stream copy = size <= 64L << 20 ? new MemoryStream((int)size) : AnonymousTempFile();
        data.CopyTo(copy, 1 << 20);
        data.Dispose();
        copy.Position = 0;
        return copy;
    }

    /// <summary>A scratch file unlinked as soon as it is open: nothing is left behind however resh exits.</summary>
    static FileStream AnonymousTempFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"resh-rewrite-{Guid.NewGuid():N}");
        var fs = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        System.IO.File.Delete(path);
        return fs;
    }
}
