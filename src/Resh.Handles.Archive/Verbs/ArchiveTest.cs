using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;

namespace Resh.Handles.Archive;

public static class ArchiveTest
{
    public static readonly VerbInfo Verb = VerbInfo.Define("test", Effect.Read,
        "Read every entry's data and check every checksum (tar headers, zip CRC-32, sizes and data descriptors, AES codes, gzip/xz/zstd/7z checksums).",
        [ArchiveArgs.Password, ArchiveArgs.Format, ArchiveArgs.Encoding],
        () => ArchiveJson.Default.ArchiveTestResult, Run,
        examples: [new("archive:///tmp/x.tar.zst.test", "Exit 0 when intact, `failed` naming the first bad entry otherwise.")]);

    static Outcome<ArchiveTestResult> Run(VerbContext ctx)
    {
        var path = ArchivePaths.ResolveInput(ctx);
        var size = ArchivePaths.Stat(path, follow: true)?.Size ?? 0;
        using var progress = ctx.Progress("test", size);
        using var reader = ArchiveOpener.Open(path, ctx.Get(ArchiveArgs.Format), ctx.GetSecret(ArchiveArgs.Password)?.Reveal(), n => progress.Add(n), ctx.Get(ArchiveArgs.Encoding));
        Codecs.WarnIfZstdFallback(ctx, reader.Format.Codec);
        long entries = 0, bytes = 0;
        var buffer = new byte[1 << 20];
        try
        {
            while (reader.Next() is { } item)
            {
                ctx.Cancellation.ThrowIfCancellationRequested();
                entries++;
                // Every file's data is read to its end: that is where sizes, CRCs and codes are checked (a zip or 7z
                // symlink's data, its target, was read and checked when its header was).
                if (item.Kind != ItemKind.File) continue;
                using var data = reader.OpenData();
                int n;
                long got = 0;
                while ((n = data.Read(buffer, 0, buffer.Length)) > 0) got += n;
                var expected = item.Sparse?.StoredSize ?? item.Size;
                if (got != expected)
                    throw new ArchiveCorruptException($"{PathBytes.Display(item.Name)}: {got} bytes of data where the header states {expected}");
                bytes += got;
            }
        }
        catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex))
        {
            var error = ArchiveErrors.Translate(ex, path, reader.Current?.Name, "Restore the archive from a good copy.");
            error.Details!["entries_ok"] = Math.Max(0, entries - 1);
            return error;
        }
        foreach (var w in reader.Warnings.Take(100)) ctx.Warn(w);
        var checks = reader.Format.Container switch
        {
            Container.Zip => "zip CRC-32 and sizes of every entry (data descriptors, AES authentication codes)",
            Container.SevenZip => "7z CRCs of every entry",
            _ => "tar header checksums and sizes" + (reader.Format.Codec switch
            {
                Codec.Gzip => ", gzip CRC-32 and length",
                Codec.Xz => ", xz block checks",
                Codec.Zstd => ", zstd frame checksums",
                Codec.Bzip2 => ", bzip2 block CRCs",
                _ => "",
            }),
        };
        return new ArchiveTestResult(PathBytes.Display(path), reader.Format.Name, entries, bytes, true, checks);
    }
}
