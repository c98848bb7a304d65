using Resh.Core.Execution;
using Resh.Core.Model;
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
        var path = ArchivePaths.Resolve(ctx);
        using var reader = ArchiveOpener.Open(path, ctx.Get(ArchiveArgs.Format), ctx.GetSecret(ArchiveArgs.Password)?.Reveal(), null);
        Codecs.WarnIfZstdFallback(ctx, reader.Format.Codec);
        long entries = 0, files = 0, dirs = 0, links = 0, hard = 0, other = 0, bytes = 0;
        bool encrypted = false;
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
        var size = new FileInfo(path).Length;
        var compression = reader.Format.Container switch
        {
            Container.Zip => "deflate",
            Container.SevenZip => "lzma",
            _ => ArchiveFormat.CodecName(reader.Format.Codec),
        };
        return new ArchiveInfoResult(path, reader.Format.Name, compression, encrypted, entries, files, dirs, links, hard, other, bytes, size,
            size > 0 ? Math.Round((double)bytes / size, 3) : 0);
    }
}
