using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;
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
        notes: "A path that matches nothing is `not_found` (a typo is not a no-op); run it again after a removal and it is not_found too. " +
               "Removing a file that other entries hard-link to keeps them: the first link becomes the file.");

    static Outcome<ArchiveUpdateResult> Run(VerbContext ctx)
    {
        var path = ArchivePaths.Resolve(ctx);
        var password = ctx.GetSecret(ArchiveArgs.Password)?.Reveal();
        var patterns = ctx.Get(Paths).Select(p => "/" + p.Trim('/')).ToList();
        // Anchored at the archive root: `a.txt` means the top-level a.txt, not every a.txt.
        var matcher = new PathFilter([], patterns);
        var removed = new List<string>();
        var matchedBy = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        string format;
        using (var reader = Formats.ArchiveOpener.Open(path, ctx.Get(ArchiveArgs.Format), password, null))
        {
            format = reader.Format.Name;
            Formats.Codecs.WarnIfZstdFallback(ctx, reader.Format.Codec);
            try
            {
                foreach (var item in reader.Items())
                {
                    total++;
                    var name = item.Name.Trim('/');
                    if (!matcher.IsExcluded(name)) continue;
                    removed.Add(PathBytes.Display(name));
                    foreach (var p in patterns)
                        if (new PathFilter([], [p]).IsExcluded(name)) matchedBy.Add(p);
                }
            }
            catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex))
            {
                return ArchiveErrors.Translate(ex, path, reader.Current?.Name, "Nothing was changed.");
            }
        }
        var unmatched = patterns.Where(p => !matchedBy.Contains(p)).Select(p => p.TrimStart('/')).ToList();
        if (unmatched.Count > 0)
            return ReshError.NotFound($"No entry of {PathBytes.Display(path)} matches {string.Join(", ", unmatched)}; nothing was removed.",
                "List the archive's names with `list` (paths are relative to the archive root).",
                new System.Text.Json.Nodes.JsonObject { ["unmatched"] = new System.Text.Json.Nodes.JsonArray(unmatched.Select(u => (System.Text.Json.Nodes.JsonNode?)u).ToArray()) });
        var size = ArchivePaths.Stat(path, follow: true)?.Size ?? 0;
        if (ctx.DryRun)
            return Outcome.Changed(new ArchiveUpdateResult(PathBytes.Display(path), format, [], [], removed, total - removed.Count, size), true);
        var warnings = new List<string>();
        try
        {
            size = ArchiveRewriter.Rewrite(path, ctx.Get(ArchiveArgs.Format), password, item => !matcher.IsExcluded(item.Name.Trim('/')), [], new CaptureOptions(), ctx.Cancellation, warnings);
        }
        catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex))
        {
            return ArchiveErrors.Translate(ex, path, null, "Nothing was changed.");
        }
        foreach (var w in warnings.Take(100)) ctx.Warn(w);
        return Outcome.Changed(new ArchiveUpdateResult(PathBytes.Display(path), format, [], [], removed, total - removed.Count, size), true);
    }
}
