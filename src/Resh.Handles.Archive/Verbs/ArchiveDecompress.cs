using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

public static class ArchiveDecompress
{
    static readonly Arg<string?> Output = Arg.String("output", "Where to write (default: the source name without .zst/.gz/.xz/.bz2).");
    static readonly Arg<bool> Keep = Arg.Bool("keep", "Keep the compressed file (false removes it afterwards).", true);
    static readonly Arg<long?> MaxBytes = Arg.Size("max_bytes", "Stop when the output would exceed this size.", 10L * 1024 * 1024 * 1024);
    static readonly Arg<long?> MaxRatio = Arg.Int("max_ratio", "Stop when the output exceeds this multiple of the input read (judged past 8 MiB).", 200, min: 1);

    public static readonly VerbInfo Verb = VerbInfo.Define("decompress", Effect.Mutate,
        "Decompress a single .zst, .gz, .xz or .bz2 file (format from its content).",
        [Output, Keep, MaxBytes, MaxRatio],
        () => ArchiveJson.Default.ArchiveStreamResult, Run,
        examples: [new("archive:///var/log/big.log.zst.decompress", "Writes /var/log/big.log.")],
        targetHelp: "The compressed file.");

    static Outcome<ArchiveStreamResult> Run(VerbContext ctx)
    {
        var source = ArchivePaths.Resolve(ctx);
        if (!System.IO.File.Exists(source)) return ReshError.NotFound($"{source} does not exist or is not a file.", "Name a compressed file.");
        Span<byte> head = stackalloc byte[8];
        int got;
        using (var fs = System.IO.File.OpenRead(source)) got = fs.ReadAtLeast(head, 8, throwOnEndOfStream: false);
        var codec = ArchiveFormat.CodecOf(head[..got]);
        if (codec == Codec.None)
            return ReshError.Unsupported($"{source} is not a gzip, bzip2, xz or zstd stream.", "For zip, tar or 7z archives use extract.");
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
        var inputBytes = new FileInfo(source).Length;
        if (ctx.DryRun)
            return Outcome.Changed(new ArchiveStreamResult(source, output, ArchiveFormat.CodecName(codec), inputBytes, null, null, !ctx.Get(Keep)));
        var limits = new ExtractionLimits(ctx.Get(MaxBytes)!.Value, long.MaxValue, ctx.Get(MaxRatio)!.Value);
        using var progress = ctx.Progress("decompress", null);
        bool changed;
        long size;
        try
        {
            (changed, size) = ArchiveBuilder.WriteAtomically(output, temp =>
            {
                var raw = new CountingStream(new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));
                using var input = Codecs.OpenRead(raw, codec, readAhead: true);
                using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                ArchiveCompress.Copy(input, file, progress, ctx.Cancellation, total => limits.CheckBytes(total, raw.BytesRead));
            });
        }
        catch (Exception ex) when (ArchiveExtract.IsCorruption(ex))
        {
            return ReshError.Failed($"{source} is corrupt: {ExceptionTranslation.OneLine(ex.Message)}", "Nothing was written.");
        }
        var removed = false;
        if (!ctx.Get(Keep)) { System.IO.File.Delete(source); removed = true; changed = true; }
        return Outcome.Changed(new ArchiveStreamResult(source, output, ArchiveFormat.CodecName(codec), inputBytes, size,
            inputBytes > 0 ? Math.Round((double)size / inputBytes, 3) : null, removed), changed);
    }
}
