using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

public static class ArchiveRemove
{
    static readonly Arg<IReadOnlyList<string>> Paths = Arg.List("paths", "Entry names or globs to remove, from the archive root; a directory removes its content too.", required: true, examples: ["app/cache", "**/*.tmp"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("remove", Effect.Mutate,
        "Remove entries from an archive (rewritten atomically).",
        [Paths, ArchiveArgs.Password, ArchiveArgs.Format],
        () => ArchiveJson.Default.ArchiveUpdateResult, Run,
        examples: [new("'archive:///tmp/x.tar.gz.remove(paths=src/cache)'", "Drop src/cache and everything under it.")],
        notes: "Nothing matching is not an error: the result is changed: false and the archive is untouched.");

    static Outcome<ArchiveUpdateResult> Run(VerbContext ctx)
    {
        var path = ArchivePaths.Resolve(ctx);
        var password = ctx.GetSecret(ArchiveArgs.Password)?.Reveal();
        // Anchored at the archive root: `a.txt` means the top-level a.txt, not every a.txt.
        var matcher = new PathFilter([], ctx.Get(Paths).Select(p => "/" + p.TrimStart('/')).ToList());
        var removed = new List<string>();
        long total = 0;
        string format;
        using (var reader = Formats.ArchiveOpener.Open(path, ctx.Get(ArchiveArgs.Format), password, null))
        {
            format = reader.Format.Name;
            Formats.Codecs.WarnIfZstdFallback(ctx, reader.Format.Codec);
            foreach (var item in reader.Items())
            {
                total++;
                if (matcher.IsExcluded(item.Name.Trim('/'))) removed.Add(item.Name.TrimEnd('/'));
            }
        }
        var size = new FileInfo(path).Length;
        if (removed.Count == 0 || ctx.DryRun)
            return Outcome.Changed(new ArchiveUpdateResult(path, format, [], [], removed, total - removed.Count, size), removed.Count > 0);
        size = ArchiveRewriter.Rewrite(path, ctx.Get(ArchiveArgs.Format), password, item => !matcher.IsExcluded(item.Name.Trim('/')), [], ctx.Cancellation);
        return Outcome.Changed(new ArchiveUpdateResult(path, format, [], [], removed, total - removed.Count, size), true);
    }
}
