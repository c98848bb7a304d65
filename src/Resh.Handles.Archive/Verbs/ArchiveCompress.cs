using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

public static class ArchiveCompress
{
    static readonly Arg<string?> Format = Arg.Enum("type", "Compression: zst, gz, xz or bz2; default from the output name, else zst.", ["auto", "zst", "gz", "xz", "bz2"], "auto");
    static readonly Arg<string?> Output = Arg.String("output", "Where to write (default: the source name plus .zst/.gz/.xz/.bz2).", path: PathUse.Write);
    static readonly Arg<bool> Keep = Arg.Bool("keep", "Keep the source file (false removes it after a successful write, as gzip does).", true);

    static readonly Arg<bool> Overwrite = Arg.Bool("overwrite", "Replace an existing output file (false: an existing output is a conflict and is left alone, as gzip -k does); a symlink or device at the output is never replaced.");

    public static readonly VerbInfo Verb = VerbInfo.Define("compress", Effect.Mutate,
        "Compress one file into a .zst, .gz, .xz or .bz2 stream.",
        [Format, Output, ArchiveArgs.Level, Keep, Overwrite],
        () => ArchiveJson.Default.ArchiveStreamResult, Run,
        examples: [new("'archive:///var/log/big.log.compress(type=zst)'", "Writes /var/log/big.log.zst."), new("archive:///tmp/dump.sql compress --type gz --no-keep", "Like gzip dump.sql.")],
        targetHelp: "The file to compress.");

    static Outcome<ArchiveStreamResult> Run(VerbContext ctx)
    {
        var source = ArchivePaths.Resolve(ctx);
        if (ArchivePaths.Stat(source, follow: true) is not { IsRegular: true } st)
            return ReshError.NotFound($"{PathBytes.Display(source)} does not exist or is not a file.", "Name a regular file.");
        var formatArg = ctx.Get(Format)!;
        var outputArg = ctx.Get(Output);
        Codec codec;
        if (formatArg != "auto") codec = ArchiveFormat.Parse(formatArg).Codec;
        else if (outputArg is not null && ArchiveFormat.FromFileName(outputArg) is { IsStream: true } f) codec = f.Codec;
        else codec = Codec.Zstd;
        var output = outputArg is null ? source + ArchiveFormat.Extension(codec) : ArchivePaths.Absolute(outputArg, ctx);
        if (output == source) return ReshError.Usage("The output is the source itself.", "Give another output path.");
        if (ArchivePaths.Stat(output) is { } present)
        {
            if (!present.IsRegular) return ArchiveBuilder.NotRegular(output, present);
            if (!ctx.Get(Overwrite))
                return ReshError.Conflict($"{PathBytes.Display(output)} already exists; not overwritten.", "Pass overwrite=true to replace it, or choose another output.");
        }
        Codecs.WarnIfZstdFallback(ctx, codec);
        var level = ctx.Get(ArchiveArgs.Level) is { } l ? (int)l : (int?)null;
        var inputBytes = st.Size;
        if (ctx.DryRun)
            return Outcome.Changed(new ArchiveStreamResult(PathBytes.Display(source), PathBytes.Display(output), ArchiveFormat.CodecName(codec), inputBytes, null, null, !ctx.Get(Keep)));
        using var progress = ctx.Progress("compress", inputBytes);
        var (changed, size) = ArchiveBuilder.WriteAtomically(output, file =>
        {
            using var input = ArchivePaths.OpenRead(source);
            using var z = Codecs.OpenWrite(file, codec, level, ctx.Cancellation);
            Copy(input, z, progress, ctx.Cancellation);
        }, fd => KeepMetadata(fd, st));
        var removed = false;
        if (!ctx.Get(Keep)) { RemoveSource(source); removed = true; changed = true; }
        return Outcome.Changed(new ArchiveStreamResult(PathBytes.Display(source), PathBytes.Display(output), ArchiveFormat.CodecName(codec), inputBytes, size,
            size > 0 ? Math.Round((double)inputBytes / size, 3) : null, removed, true), changed);
    }

    /// <summary>The output gets the source's mode, owner (when root) and times, as gzip and zstd give them.</summary>
    internal static void KeepMetadata(int fd, Resh.Core.Platform.FileStatus source)
    {
        if (Storage.FileTree.IsRoot) AtCalls.FChown(fd, source.Uid, source.Gid);
        AtCalls.FChmod(fd, source.Permissions);
        AtCalls.FSetTimes(fd, source.ModifyTime, source.AccessTime);
    }

    internal static void RemoveSource(string source)
    {
        var rc = AtCalls.UnlinkAt(AtCalls.AT_FDCWD, source, directory: false);
        if (rc != 0 && rc != AtCalls.ENOENT) throw ArchiveErrors.FromErrno(rc, source).ToException();
    }

    internal static long Copy(Stream from, Stream to, Resh.Core.Output.ProgressBar progress, CancellationToken ct, Action<long>? check = null)
    {
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = from.Read(buffer, 0, buffer.Length)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            to.Write(buffer, 0, n);
            total += n;
            check?.Invoke(total);
            progress.Add(n);
        }
        return total;
    }
}
