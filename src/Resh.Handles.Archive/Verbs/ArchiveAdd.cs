using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

public static class ArchiveAdd
{
    static readonly Arg<IReadOnlyList<string>> Sources = Arg.List("sources", "Files and directories to add; each is stored under its own name (or relative to base_dir).", required: true, path: PathUse.Read);
    static readonly Arg<string?> BaseDir = Arg.String("base_dir", "Store entries relative to this directory.", path: PathUse.Read);

    public static readonly VerbInfo Verb = VerbInfo.Define("add", Effect.Mutate,
        "Add or update entries in an existing archive (rewritten atomically).",
        [Sources, BaseDir, ArchiveArgs.Include, ArchiveArgs.Exclude, ArchiveArgs.Password, ArchiveArgs.Format, ArchiveCreate.Xattrs, ArchiveCreate.Acls],
        () => ArchiveJson.Default.ArchiveUpdateResult, Run,
        examples: [new("'archive:///tmp/x.tar.gz.add(sources=/etc/hosts)'", "Add hosts (stored as `hosts`).")],
        notes: "An entry whose type, size, mode and modification time already match is left alone; when nothing differs the archive is not rewritten (changed: false).");

    static Outcome<ArchiveUpdateResult> Run(VerbContext ctx)
    {
        var path = ArchivePaths.Resolve(ctx);
        var password = ctx.GetSecret(ArchiveArgs.Password)?.Reveal();
        var baseDir = ctx.Get(BaseDir) is { } b ? ArchivePaths.Absolute(b, ctx) : null;
        var filter = new PathFilter(ctx.Get(ArchiveArgs.Include), ctx.Get(ArchiveArgs.Exclude));
        var capture = new CaptureOptions(true, ctx.Get(ArchiveCreate.Xattrs), ctx.Get(ArchiveCreate.Acls));
        var sources = SourceCollector.Collect(ctx.Get(Sources).Select(s => ArchivePaths.Absolute(baseDir is null ? s : Path.Combine(baseDir, s), ctx)).ToList(), baseDir, filter, ctx.Cancellation);
        var existing = new Dictionary<string, ArchiveItem>(StringComparer.Ordinal);
        ArchiveFormat format;
        using (var reader = ArchiveOpener.Open(path, ctx.Get(ArchiveArgs.Format), password, null))
        {
            format = reader.Format;
            Codecs.WarnIfZstdFallback(ctx, format.Codec);
            try
            {
                foreach (var item in reader.Items()) existing[item.Name.TrimEnd('/')] = item;
            }
            catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex))
            {
                return ArchiveErrors.Translate(ex, path, reader.Current?.Name, "Nothing was changed.");
            }
        }
        var added = new List<string>();
        var replaced = new List<string>();
        var additions = new List<(SourceEntry, ArchiveItem)>();
        foreach (var e in sources)
        {
            var item = ArchiveBuilder.ToItem(e, false, default);
            if (existing.TryGetValue(e.Name, out var old))
            {
                if (Same(old, item, format)) continue;
                replaced.Add(e.Name);
            }
            else added.Add(e.Name);
            additions.Add((e, item));
        }
        var size = ArchivePaths.Stat(path, follow: true)?.Size ?? 0;
        long total = existing.Count + added.Count;
        var display = (List<string> l) => l.Select(n => PathBytes.Display(n)).ToList();
        if (additions.Count == 0 || ctx.DryRun)
            return Outcome.Changed(new ArchiveUpdateResult(PathBytes.Display(path), format.Name, display(added), display(replaced), [], total, size), additions.Count > 0);
        var replacedSet = replaced.ToHashSet(StringComparer.Ordinal);
        var warnings = new List<string>();
        try
        {
            size = ArchiveRewriter.Rewrite(path, ctx.Get(ArchiveArgs.Format), password, item => !replacedSet.Contains(item.Name.TrimEnd('/')), additions, capture, ctx.Cancellation, warnings);
        }
        catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex))
        {
            return ArchiveErrors.Translate(ex, path, null, "Nothing was changed.");
        }
        foreach (var w in warnings.Take(100)) ctx.Warn(w);
        return Outcome.Changed(new ArchiveUpdateResult(PathBytes.Display(path), format.Name, display(added), display(replaced), [], total, size), true);
    }

    static bool Same(ArchiveItem old, ArchiveItem now, ArchiveFormat format)
    {
        if (old.Kind != now.Kind && !(old.Kind == ItemKind.File && now.Kind == ItemKind.Hardlink)) return false;
        if (old.Kind == ItemKind.Symlink) return old.LinkTarget == now.LinkTarget;
        if (old.Kind == ItemKind.Directory) return (old.Mode & 0xFFF) == (now.Mode & 0xFFF);
        // zip keeps times to 2 s (without the extended timestamp); tar to the second.
        var slack = format.Container == Container.Zip ? 2 : 1;
        return old.Size == now.Size && (old.Mode & 0xFFF) == (now.Mode & 0xFFF) && Math.Abs((old.Mtime - now.Mtime).TotalSeconds) < slack;
    }
}
