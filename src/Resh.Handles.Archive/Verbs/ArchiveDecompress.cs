using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

public static class ArchiveDecompress
{
    static readonly Arg<string?> Output = Arg.String("output", "Where to write (default: the source name without .zst/.gz/.xz/.bz2).", path: PathUse.Write);
    static readonly Arg<bool> Keep = Arg.Bool("keep", "Keep the compressed file (false removes it afterwards).", true);
    static readonly Arg<long?> MaxBytes = Arg.Size("max_bytes", "Stop when the output would exceed this size (default: the free space of the output's file system).");
    static readonly Arg<long?> MaxRatio = Arg.Int("max_ratio", "Stop when the output exceeds this multiple of the input read, judged only past 4 GiB of output (0: off).", ExtractionLimits.DefaultRatio, min: 0);

    static readonly Arg<bool> Overwrite = Arg.Bool("overwrite", "Replace an existing output file (false: an existing output is a conflict and is left alone, as gzip -k does); a symlink or device at the output is never replaced.");

    public static readonly VerbInfo Verb = VerbInfo.Define("decompress", Effect.Mutate,
        "Decompress a single .zst, .gz, .xz or .bz2 file (format from its content).",
        [Output, Keep, MaxBytes, MaxRatio, Overwrite],
        () => ArchiveJson.Default.ArchiveStreamResult, Run,
        examples: [new("archive:///var/log/big.log.zst.decompress", "Writes /var/log/big.log.")],
        targetHelp: "The compressed file.");

    static Outcome<ArchiveStreamResult> Run(VerbContext ctx)
    {
        var source = ArchivePaths.Resolve(ctx);
        if (ArchivePaths.Stat(source, follow: true) is not { IsRegular: true } st)
            return ReshError.NotFound($"{PathBytes.Display(source)} does not exist or is not a file.", "Name a compressed file.");
        Span<byte> head = stackalloc byte[8];
        int got;
        using (var fs = ArchivePaths.OpenRead(source)) got = fs.ReadAtLeast(head, 8, throwOnEndOfStream: false);
        var codec = ArchiveFormat.CodecOf(head[..got]);
        if (codec == Codec.None)
            return ReshError.Unsupported($"{PathBytes.Display(source)} is not a gzip, bzip2, xz or zstd stream.", "For zip, tar or 7z archives use extract.");
        Codecs.WarnIfZstdFallback(ctx, codec);
        string output;
        if (ctx.Get(Output) is { } o) output = ArchivePaths.Absolute(o, ctx);
        else
        {
            var ext = Path.GetExtension(source).ToLowerInvariant();
            if (ext is not (".gz" or ".zst" or ".zstd" or ".xz" or ".bz2"))
                return ReshError.Usage($"Cannot derive an output name from {Path.GetFileName(source)}.", "Pass output=PATH.");
            output = source[..^ext.Length];
        }
        if (ArchivePaths.Stat(output) is { } present)
        {
            if (!present.IsRegular) return ArchiveBuilder.NotRegular(output, present);
            if (!ctx.Get(Overwrite))
                return ReshError.Conflict($"{PathBytes.Display(output)} already exists; not overwritten.", "Pass overwrite=true to replace it, or choose another output.");
        }
        var inputBytes = st.Size;
        if (ctx.DryRun)
            return Outcome.Changed(new ArchiveStreamResult(PathBytes.Display(source), PathBytes.Display(output), ArchiveFormat.CodecName(codec), inputBytes, null, null, !ctx.Get(Keep)));
        var free = ctx.Get(MaxBytes) is null ? ExtractionLimits.FreeSpace(Path.GetDirectoryName(output) ?? "/") : null;
        var limits = new ExtractionLimits(ctx.Get(MaxBytes) ?? free ?? long.MaxValue, long.MaxValue, ctx.Get(MaxRatio)!.Value, BytesAreFreeSpace: free is not null);
        using var progress = ctx.Progress("decompress", null);
        bool changed;
        long size;
        var warnings = new List<string>();
        try
        {
            (changed, size) = ArchiveBuilder.WriteAtomically(output, file =>
            {
                var raw = new CountingStream(ArchivePaths.OpenRead(source));
                using var input = Codecs.OpenRead(raw, codec, readAhead: true, warnings);
                ArchiveCompress.Copy(input, file, progress, ctx.Cancellation, total => limits.CheckBytes(total, raw.BytesRead));
            }, fd => ArchiveCompress.KeepMetadata(fd, st));
        }
        catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex))
        {
            return ArchiveErrors.Translate(ex, source, null, "Nothing was written.");
        }
        foreach (var w in warnings) ctx.Warn(w);
        var removed = false;
        if (!ctx.Get(Keep)) { ArchiveCompress.RemoveSource(source); removed = true; changed = true; }
        return Outcome.Changed(new ArchiveStreamResult(PathBytes.Display(source), PathBytes.Display(output), ArchiveFormat.CodecName(codec), inputBytes, size,
            inputBytes > 0 ? Math.Round((double)size / inputBytes, 3) : null, removed, true), changed);
    }
}
