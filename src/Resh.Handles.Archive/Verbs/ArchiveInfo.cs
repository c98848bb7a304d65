using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;

namespace Resh.Handles.Archive;

public static class ArchiveInfo
{
    public static readonly VerbInfo Verb = VerbInfo.Define("info", Effect.Read,
        "Summarise an archive: format, compression, entry counts, sizes and compression ratio.",
        [ArchiveArgs.Password, ArchiveArgs.Format],
        () => ArchiveJson.Default.ArchiveInfoResult, Run,
        examples: [new("archive:///tmp/x.tar.zst.info", "Format, counts and ratio.")],
        notes: "The format is detected from the content (magic bytes), whatever the file is called.");

    static Outcome<ArchiveInfoResult> Run(VerbContext ctx)
    {
        var path = ArchivePaths.ResolveInput(ctx);
        using var reader = ArchiveOpener.Open(path, ctx.Get(ArchiveArgs.Format), ctx.GetSecret(ArchiveArgs.Password)?.Reveal(), null);
        Codecs.WarnIfZstdFallback(ctx, reader.Format.Codec);
        long entries = 0, files = 0, dirs = 0, links = 0, hard = 0, other = 0, bytes = 0;
        bool encrypted = false;
        try
        {
            foreach (var item in reader.Items())
            {
                ctx.Cancellation.ThrowIfCancellationRequested();
                entries++;
                encrypted |= item.Encrypted;
                switch (item.Kind)
                {
                    case ItemKind.File: files++; bytes += item.Size; break;
                    case ItemKind.Directory: dirs++; break;
                    case ItemKind.Symlink: links++; break;
                    case ItemKind.Hardlink: hard++; break;
                    default: other++; break;
                }
            }
        }
        catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex))
        {
            return ArchiveErrors.Translate(ex, path, reader.Current?.Name);
        }
        foreach (var w in reader.Warnings.Take(100)) ctx.Warn(w);
        var size = ArchivePaths.Stat(path, follow: true)?.Size ?? 0;
        var compression = reader switch
        {
            ZipFormatReader z => string.Join(",", z.Methods.DefaultIfEmpty("stored")),
            SevenZipReader => "lzma",
            _ => ArchiveFormat.CodecName(reader.Format.Codec),
        };
        return new ArchiveInfoResult(PathBytes.Display(path), reader.Format.Name, compression, encrypted, entries, files, dirs, links, hard, other, bytes, size,
            size > 0 ? Math.Round((double)bytes / size, 3) : 0);
    }
}
