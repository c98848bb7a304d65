using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

public static class ArchiveExtract
{
    static readonly Arg<string?> Destination = Arg.String("destination", "Directory to extract into (created when missing).", required: true, aliases: ["dest", "to"]);
    static readonly Arg<string?> Overwrite = Arg.Enum("overwrite", "When a path already exists with different content: error (conflict, nothing extracted), skip (keep it) or replace.",
        ["error", "skip", "replace"], "error");
    static readonly Arg<long?> StripComponents = Arg.Int("strip_components", "Drop this many leading path components from every entry name (as tar --strip-components).", 0, min: 0, max: 100);
    static readonly Arg<long?> MaxBytes = Arg.Size("max_bytes", "Stop when the content would exceed this size.", 10L * 1024 * 1024 * 1024);
    static readonly Arg<long?> MaxEntries = Arg.Int("max_entries", "Stop when the archive has more entries than this.", 1_000_000, min: 1);
    static readonly Arg<long?> MaxRatio = Arg.Int("max_ratio", "Stop when content exceeds this multiple of the compressed bytes read (judged past 8 MiB).", 200, min: 1);
    static readonly Arg<bool> Owners = Arg.Bool("owners", "Restore owners and groups from the archive (root only; by name when the name exists here, else by number).", true);
    static readonly Arg<bool> AllowSpecial = Arg.Bool("allow_special", "Create device nodes and FIFOs stored in the archive (root only); refused by default.");

    public static readonly VerbInfo Verb = VerbInfo.Define("extract", Effect.Mutate,
        "Extract an archive safely: nothing outside the destination, bounded expansion, all or nothing.",
        [Destination, Overwrite, ArchiveArgs.Include, ArchiveArgs.Exclude, StripComponents, ArchiveArgs.Password, ArchiveArgs.Format,
         MaxBytes, MaxEntries, MaxRatio, Owners, AllowSpecial],
        () => ArchiveJson.Default.ArchiveExtractResult, Run,
        examples:
        [
            new("'archive:///tmp/x.tar.zst.extract(destination=/tmp/out)'", "Extract into /tmp/out."),
            new("archive:///tmp/site.zip extract --destination /srv/site --overwrite replace", "Update a tree from a zip."),
            new("'archive:///tmp/x.tar.gz.extract(destination=/tmp/out)' --dry-run", "List what would be written."),
        ],
        notes: "Entries with absolute names or `..`, symlinks and hard links pointing outside the destination, writes through symlinks, " +
               "device nodes and FIFOs are refused and listed in `refused`. The archive is first extracted into a temporary directory beside " +
               "the destination, then renamed into place (or merged under `overwrite`), so a failure leaves nothing half-written.");

    static Outcome<ArchiveExtractResult> Run(VerbContext ctx)
    {
        var path = ArchivePaths.Resolve(ctx);
        var destination = ArchivePaths.Absolute(ctx.Get(Destination)!, ctx);
        if (destination == "/") return ReshError.Usage("Refusing to extract into /.", "Extract into a directory of its own.");
        var destStat = Resh.Core.Platform.Posix.Stat(destination, follow: false, out _);
        if (destStat is { } ds && !ds.IsDirectory)
            return ReshError.Conflict($"{destination} exists and is not a directory.", "Choose another destination.");
        var parent = Path.GetDirectoryName(destination)!;
        var options = new ExtractOptions(destination, ctx.Get(Overwrite)!, new PathFilter(ctx.Get(ArchiveArgs.Include), ctx.Get(ArchiveArgs.Exclude)),
            (int)(ctx.Get(StripComponents) ?? 0), new ExtractionLimits(ctx.Get(MaxBytes)!.Value, ctx.Get(MaxEntries)!.Value, ctx.Get(MaxRatio)!.Value),
            ctx.Get(Owners), ctx.Get(AllowSpecial), ctx.DryRun);
        var archiveSize = System.IO.File.Exists(path) ? new FileInfo(path).Length : 0;
        using var progress = ctx.Progress("extract", archiveSize);
        using var reader = ArchiveOpener.Open(path, ctx.Get(ArchiveArgs.Format), ctx.GetSecret(ArchiveArgs.Password)?.Reveal(), n => progress.Add(n));
        Codecs.WarnIfZstdFallback(ctx, reader.Format.Codec);
        var extractor = new SafeExtractor(reader, archiveSize, options, ctx.Cancellation);
        if (ctx.DryRun)
        {
            extractor.StageInto(stage: ""); // dry run: headers only, nothing is created
            var r = extractor.Report;
            var wouldChange = r.Names.Any(n => !Path.Exists(Path.Combine(destination, n)));
            return Outcome.Changed(Result(path, destination, reader.Format, r, null, r.Names.Take(1000).ToList()), wouldChange || destStat is null);
        }
        if (!Directory.Exists(parent)) Directory.CreateDirectory(parent);
        var stage = FileTree.SiblingTemp(destination, "extract");
        try
        {
            try { extractor.StageInto(stage); }
            catch (Exception ex) when (IsCorruption(ex))
            {
                return ReshError.Failed($"{path} is corrupt: {ExceptionTranslation.OneLine(ex.Message)}", "Nothing was written; check the archive with `test`.");
            }
            var report = extractor.Report;
            foreach (var refused in report.Refused) ctx.Warn($"refused {refused.Path}: {refused.Reason}");
            if (destStat is null)
            {
                Directory.Move(stage, destination);
                // The staging directory was private (0700); the new destination gets the usual 0755.
                System.IO.File.SetUnixFileMode(destination, (UnixFileMode)0x1ED);
                var created = new MergePlan();
                created.Created.Add(destination);
                return Outcome.Changed(Result(path, destination, reader.Format, report, created, null), true);
            }
            var plan = TreeMerger.Plan(stage, destination, options.Overwrite);
            if (plan.Conflicts.Count > 0) return TreeMerger.ConflictError(destination, plan);
            TreeMerger.Apply(plan);
            return Outcome.Changed(Result(path, destination, reader.Format, report, plan, null), plan.Changes);
        }
        finally
        {
            FileTree.TryRemove(stage);
        }
    }

    internal static bool IsCorruption(Exception ex) => ex is InvalidDataException or EndOfStreamException or FormatException
        || ex.GetType().Namespace?.StartsWith("SharpCompress", StringComparison.Ordinal) == true
        || ex.GetType().Namespace?.StartsWith("ZstdSharp", StringComparison.Ordinal) == true
        || ex.GetType().Namespace?.StartsWith("ICSharpCode", StringComparison.Ordinal) == true;

    static ArchiveExtractResult Result(string path, string destination, ArchiveFormat format, StagingReport r, MergePlan? plan, List<string>? planned) =>
        new(path, destination, format.Name, r.Files, r.Directories, r.Symlinks, r.Hardlinks, r.Special, r.Bytes,
            plan?.Created.Count ?? 0, plan?.Replaced.Count ?? 0, plan?.Unchanged.Count ?? 0, plan?.Skipped.Count ?? 0,
            r.Refused.Select(x => new ArchiveRefusal(x.Path, x.Reason)).ToList(), planned);
}
