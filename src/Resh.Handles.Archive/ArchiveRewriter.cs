using Resh.Core.Errors;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>
/// Rewrites an archive into a temporary sibling (old entries streamed across with all their metadata,
/// some dropped, new ones appended) and renames it into place, so add and remove are atomic. When a
/// dropped file is the target of hard links that stay, the first of them becomes the file (with its
/// data) and the others link to it, as they would have to be extracted.
/// </summary>
public static class ArchiveRewriter
{
    public static long Rewrite(string path, string? formatName, string? password, Func<ArchiveItem, bool> keep,
        IReadOnlyList<(SourceEntry Entry, ArchiveItem Item)> additions, CaptureOptions capture, CancellationToken ct, List<string> warnings)
    {
        ArchiveFormat format;
        bool encrypted;
        // Which dropped files are still needed by hard links that stay, and which link takes their place.
        var promoted = new Dictionary<string, string>(StringComparer.Ordinal);   // dropped target -> link that becomes the file
        using (var probe = ArchiveOpener.Open(path, formatName, password, null))
        {
            format = probe.Format;
            encrypted = probe is ZipFormatReader { Encrypted: true };
            if (format.Container == Container.SevenZip)
                throw ReshError.Unsupported("7z archives cannot be rewritten by resh (7z is read-only here).", "Extract, change the tree, and create a new archive.").ToException();
            var dropped = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in probe.Items())
            {
                var name = item.Name.TrimEnd('/');
                if (!keep(item)) { if (item.Kind == ItemKind.File) dropped.Add(name); continue; }
                if (item.Kind == ItemKind.Hardlink && item.LinkTarget is { } t && dropped.Contains(t) && !promoted.ContainsKey(t)) promoted[t] = name;
            }
        }
        var (_, size) = ArchiveBuilder.WriteAtomically(path, file =>
        {
            using var reader = ArchiveOpener.Open(path, formatName, password, null);
            using var writer = ArchiveBuilder.OpenWriter(file, format, null, encrypted ? password : null, ct);
            var held = new Dictionary<string, (ArchiveItem Item, Stream Data)>(StringComparer.Ordinal);
            try
            {
                while (reader.Next() is { } item)
                {
                    ct.ThrowIfCancellationRequested();
                    var name = item.Name.TrimEnd('/');
                    if (!keep(item))
                    {
                        // A dropped file whose data a remaining hard link needs: keep its bytes aside.
                        if (item.Kind == ItemKind.File && promoted.ContainsKey(name)) held[name] = (item, Hold(reader.OpenData(), path));
                        continue;
                    }
                    if (item.Kind == ItemKind.Hardlink && item.LinkTarget is { } target)
                    {
                        if (promoted.TryGetValue(target, out var heir))
                        {
                            if (heir == name && held.Remove(target, out var original))
                            {
                                using (original.Data)
                                {
                                    original.Data.Position = 0;
                                    writer.Add(original.Item with { Name = item.Name, Kind = ItemKind.File, LinkTarget = null }, original.Data);
                                }
                                continue;
                            }
                            item = item with { LinkTarget = heir };
                        }
                    }
                    if (item.Kind == ItemKind.File)
                    {
                        if (item.Sparse is not null && !writer.SupportsSparse)
                        {
                            using var whole = reader.OpenExpanded();
                            writer.Add(item with { Sparse = null }, whole);
                        }
                        else
                        {
                            using var data = reader.OpenData();
                            writer.Add(item, data);
                        }
                    }
                    else if (item.Kind == ItemKind.Hardlink && writer is not TarFormatWriter)
                        writer.Add(item, null);
                    else writer.Add(item, null);
                }
                foreach (var w in reader.Warnings) warnings.Add(w);
                using var roots = new SourceRoots();
                foreach (var (entry, item) in additions)
                {
                    ct.ThrowIfCancellationRequested();
                    if (!writer.Supports(entry.Kind)) continue;
                    if (ArchiveBuilder.AddFromDisk(writer, entry, item, roots, capture) is { } warning) warnings.Add(warning);
                }
                writer.Finish();
            }
            finally
            {
                foreach (var (_, data) in held.Values) data.Dispose();
            }
        });
        return size;
    }

    /// <summary>Copies an entry's data into an anonymous temporary file (O_TMPFILE: nothing is left behind, whatever happens).</summary>
    static Stream Hold(Stream data, string archive)
    {
        using (data)
        {
            var dir = Path.GetDirectoryName(archive) ?? "/tmp";
            var fd = AtCalls.OpenAt(AtCalls.AT_FDCWD, dir, AtCalls.O_RDWR | AtCalls.O_TMPFILE, 0x180);
            Stream hold = fd >= 0 ? new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.ReadWrite, 1 << 16) : new MemoryStream();
            data.CopyTo(hold, 1 << 20);
            return hold;
        }
    }

    internal static string Display(string name) => PathBytes.Display(name);
}
