using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

public static class ArchiveExtract
{
    static readonly Arg<string?> Destination = Arg.String("destination", "Directory to extract into (created when missing).", required: true, aliases: ["dest", "to"], path: PathUse.Write);
    static readonly Arg<string?> Overwrite = Arg.Enum("overwrite", "When a path already exists with different content: error (conflict, nothing extracted), skip (keep it) or replace.",
        ["error", "skip", "replace"], "error");
    static readonly Arg<long?> StripComponents = Arg.Int("strip_components", "Drop this many leading path components from every entry name (as tar --strip-components).", 0, min: 0, max: 100);
    static readonly Arg<long?> MaxBytes = Arg.Size("max_bytes", "Stop when the content would exceed this size (default: the free space of the destination's file system, checked before writing against the sizes zip and 7z declare).");
    static readonly Arg<long?> MaxEntries = Arg.Int("max_entries", "Stop when the archive has more entries than this.", 1_000_000, min: 1);
    static readonly Arg<long?> MaxRatio = Arg.Int("max_ratio", "Stop when content exceeds this multiple of the compressed bytes read, judged only past 4 GiB of output (0: off).", ExtractionLimits.DefaultRatio, min: 0);
    static readonly Arg<bool> Owners = Arg.Bool("owners", "Restore owners and groups from the archive (root only; by name when the name exists here, else by number).", true);
    static readonly Arg<bool> AllowSpecial = Arg.Bool("allow_special", "Create FIFOs, and (root only) device nodes, stored in the archive; refused by default.");
    static readonly Arg<string?> Links = Arg.Enum("links", "safe: refuse symlinks that resolve outside the destination (for archives you did not make); keep: create every symlink as stored, like tar (to restore a system tree); links are never followed while extracting either way.",
        ["safe", "keep"], "safe");
    static readonly Arg<bool> PreservePermissions = Arg.Bool("preserve_permissions", "Keep modes exactly as stored, setuid/setgid included (default for root, as tar); otherwise set-id bits are dropped and the umask applies.");
    static readonly Arg<bool> Strict = Arg.Bool("strict", "Refused entries make the call `partial` (exit 9) with everything else extracted; false: ok with warnings.", true);
    static readonly Arg<bool> Xattrs = Arg.Bool("xattrs", "Restore extended attributes stored in the archive (tar SCHILY.xattr records, as tar --xattrs).");
    static readonly Arg<bool> Acls = Arg.Bool("acls", "Restore POSIX ACLs stored in the archive (tar SCHILY.acl records, as tar --acls).");

    public static readonly VerbInfo Verb = VerbInfo.Define("extract", Effect.Mutate,
        "Extract an archive safely: nothing outside the destination, bounded expansion, all or nothing.",
        [Destination, Overwrite, ArchiveArgs.Include, ArchiveArgs.Exclude, StripComponents, ArchiveArgs.Password, ArchiveArgs.Format,
         MaxBytes, MaxEntries, MaxRatio, Owners, AllowSpecial, Links, PreservePermissions, Strict, Xattrs, Acls, ArchiveArgs.Encoding],
        () => ArchiveJson.Default.ArchiveExtractResult, Run,
        examples:
        [
            new("'archive:///tmp/x.tar.zst.extract(destination=/tmp/out)'", "Extract into /tmp/out."),
            new("archive:///tmp/site.zip extract --destination /srv/site --overwrite replace", "Update a tree from a zip."),
            new("'archive:///backup/etc.tar.zst.extract(destination=/restore,links=keep,xattrs=true,acls=true)'", "Restore a system tree exactly, as tar would."),
            new("'archive:///tmp/x.tar.gz.extract(destination=/tmp/out)' --dry-run", "List what would be written."),
        ],
        notes: "Bounds: by default the content may fill at most the free space of the destination's file system (a zip or 7z declaring more is refused before a byte is written), " +
               "and past 4 GiB of output it may not exceed max_ratio (1000) times the compressed bytes read; below that floor no ratio applies, as with bsdtar, 7-Zip and Python's tarfile, " +
               "so a tar.zst of a GiB of zeros extracts. " +
               "Entries with absolute names or `..`, hard links to names outside the archive, entries under a symlink, device nodes and FIFOs are refused and listed in " +
               "`refused`, as are (with links=safe) symlinks that resolve outside the destination, chains of links included; the call is then `partial` (exit 9) " +
               "with the rest extracted, unless strict=false. Every entry is created by directory handle, never through a symlink. The archive is first extracted " +
               "into a temporary directory beside the destination, then renamed into place (or merged under `overwrite`), so a failure leaves nothing half-written.");

    static Outcome<ArchiveExtractResult> Run(VerbContext ctx)
    {
        var path = ArchivePaths.ResolveInput(ctx);
        var destination = ArchivePaths.Absolute(ctx.Get(Destination)!, ctx);
        if (destination == "/") return ReshError.Usage("Refusing to extract into /.", "Extract into a directory of its own.");
        var destStat = ArchivePaths.Stat(destination, follow: true);
        if (destStat is { } ds && !ds.IsDirectory)
            return ReshError.Conflict($"{PathBytes.Display(destination)} exists and is not a directory.", "Choose another destination.");
        // Symlinks on the way are followed one at a time with the fs.protected_symlinks rule (as file:// does),
        // and the guards run again on the real directory the links lead to.
        using (var resolved = SafePath.Resolve(destination, followFinal: true, out var failure))
        {
            if (resolved is null && failure.RefusedLink is { } link)
                return ReshError.PermissionDenied(
                    $"Refusing to follow the symlink {PathBytes.Display(link)}: it sits in a sticky world-writable directory and belongs to another user (the fs.protected_symlinks rule).",
                    "Check who planted it, and extract into the real directory.");
            if (resolved is not null && destStat is not null) destination = resolved.FullPath;
        }
        if (destination == "/") return ReshError.Usage("Refusing to extract into /: the destination leads there through a symlink.", "Extract into a directory of its own.");
        var parent = Path.GetDirectoryName(destination)!;
        var destName = Path.GetFileName(destination);
        var preserve = ctx.IsSet(PreservePermissions) ? ctx.Get(PreservePermissions) : FileTree.IsRoot;
        var options = new ExtractOptions(ctx.Get(Overwrite)!, new PathFilter(ctx.Get(ArchiveArgs.Include), ctx.Get(ArchiveArgs.Exclude)),
            (int)(ctx.Get(StripComponents) ?? 0), Limits(ctx, destStat is null ? parent : destination),
            ctx.Get(Owners), ctx.Get(AllowSpecial), ctx.DryRun, ctx.Get(Links) == "keep" ? LinkPolicy.Keep : LinkPolicy.Safe, preserve,
            ctx.Get(Xattrs), ctx.Get(Acls));
        var archiveSize = ArchivePaths.Stat(path, follow: true)?.Size ?? 0;
        using var progress = ctx.Progress("extract", archiveSize);
        using var reader = ArchiveOpener.Open(path, ctx.Get(ArchiveArgs.Format), ctx.GetSecret(ArchiveArgs.Password)?.Reveal(), n => progress.Add(n), ctx.Get(ArchiveArgs.Encoding));
        Codecs.WarnIfZstdFallback(ctx, reader.Format.Codec);

        var destFd = destStat is null ? -1 : FdTree.OpenDirectory(destination);
        // A surface's path patterns judge the directory every entry is merged into, as opened (PathConfinement).
        if (destFd >= 0 && Resh.Core.Platform.PathConfinement.Check(Resh.Core.Platform.PathAct.Write, destFd, ".") is { } refusedDest)
        {
            AtCalls.Close(destFd);
            return refusedDest;
        }
        using var extractor = new SafeExtractor(reader, archiveSize, options, ctx.Cancellation)
        {
            ExistingDestination = destFd < 0 ? null : rel => Existing(destFd, rel),
            CompareWithDestination = ctx.DryRun && destFd >= 0 ? (rel, mode, data) => ExtractPlanner.SameFile(destFd, rel, mode, data) : null,
        };
        try
        {
            if (ctx.DryRun)
            {
                try { extractor.StageInto(-1, ""); }
                catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex)) { return ArchiveErrors.Translate(ex, path, reader.Current?.Name, "Nothing would be written."); }
                var r = extractor.Report;
                // Compared with the destination as the real merge will be: per entry, what would happen.
                var planned = new MergePlan();
                var actions = ExtractPlanner.Plan(extractor, destFd, options.Overwrite, planned)
                    .Select(a => a with { Path = PathBytes.Display(a.Path) })
                    .Concat(r.Refused.Select(x => new ExtractAction(PathBytes.Display(x.Path), "unknown", "refused"))).Take(10_000).ToList();
                if (planned.Conflicts.Count > 0) return TreeMerger.ConflictError(destination, planned, dryRun: true);
                var wouldChange = destFd < 0 || planned.Created.Count + planned.Replaced.Count + planned.MetaUpdates.Count > 0;
                var shown = Result(path, destination, reader.Format, r, destFd < 0 ? null : planned, r.Names.Take(1000).Select(n => PathBytes.Display(n)).ToList()) with { Actions = actions };
                return Finish(ctx, shown, wouldChange, options, r.Warnings);
            }

            if (!Directory.Exists(parent)) Directory.CreateDirectory(parent);
            var parentFd = FdTree.OpenDirectory(parent);
            if (destFd < 0 && Resh.Core.Platform.PathConfinement.Check(Resh.Core.Platform.PathAct.Write, parentFd, destName) is { } refusedNew)
            {
                AtCalls.Close(parentFd);
                return refusedNew;
            }
            var stage = $".{(destName.Length > 100 ? destName[..100] : destName)}.resh-extract-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
            TempFiles.Register(parent, stage);
            try
            {
                try { extractor.StageInto(parentFd, stage); }
                catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex)) { return ArchiveErrors.Translate(ex, path, reader.Current?.Name, "Nothing was written; check the archive with `test`."); }
                var report = extractor.Report;
                if (destFd < 0)
                {
                    // The private stage (0700) becomes the destination, with the mode mkdir would give it.
                    AtCalls.FChmod(extractor.StageFd, 0x1FF & ~AtCalls.Umask());
                    var rc = AtCalls.RenameAt(parentFd, stage, parentFd, destName, noReplace: true);
                    if (rc == AtCalls.EEXIST) return ReshError.Conflict($"{PathBytes.Display(destination)} appeared while the archive was extracted; nothing was changed.", "Run the extraction again.");
                    if (rc != 0) throw ArchiveErrors.FromErrno(rc, destination).ToException();
                    AtCalls.FSync(parentFd);
                    var created = new MergePlan();
                    created.Created.Add(destination);
                    return Finish(ctx, Result(path, destination, reader.Format, report, created, null), true, options, report.Warnings);
                }
                var plan = TreeMerger.Plan(extractor.StageFd, destFd, options.Overwrite);
                if (plan.Conflicts.Count > 0) return TreeMerger.ConflictError(destination, plan);
                TreeMerger.Apply(extractor.StageFd, destFd, plan);
                return Finish(ctx, Result(path, destination, reader.Format, report, plan, null), plan.Changes, options, report.Warnings);
            }
            finally
            {
                FdTree.TryRemove(parentFd, stage);
                TempFiles.Unregister(parent, stage);
                AtCalls.Close(parentFd);
            }
        }
        finally
        {
            AtCalls.Close(destFd);
        }
    }

    /// <summary>max_bytes as given, else the room on the destination's file system (where the stage is written too).</summary>
    static ExtractionLimits Limits(VerbContext ctx, string where)
    {
        var given = ctx.Get(MaxBytes);
        var free = given is null ? ExtractionLimits.FreeSpace(where) : null;
        return new ExtractionLimits(given ?? free ?? long.MaxValue, ctx.Get(MaxEntries)!.Value, ctx.Get(MaxRatio)!.Value, BytesAreFreeSpace: given is null && free is not null);
    }

    /// <summary>What an existing destination holds at a relative name, looked up without following any symlink.</summary>
    static (ItemKind, string?)? Existing(int destFd, string rel)
    {
        var slash = rel.LastIndexOf('/');
        var parent = slash < 0 ? "" : rel[..slash];
        var leaf = slash < 0 ? rel : rel[(slash + 1)..];
        var fd = parent.Length == 0 ? destFd : AtCalls.OpenBeneath(destFd, parent, AtCalls.O_PATH | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
        if (fd < 0) return null;
        try
        {
            if (AtCalls.StatAt(fd, leaf, false, out _) is not { } st) return null;
            if (st.IsSymlink) return (ItemKind.Symlink, AtCalls.ReadLinkAt(fd, leaf, out _) ?? "/");
            return (st.IsDirectory ? ItemKind.Directory : ItemKind.File, null);
        }
        finally
        {
            if (fd != destFd) AtCalls.Close(fd);
        }
    }

    /// <summary>Warnings into the envelope; refused entries make the call partial (unless strict=false).</summary>
    static Outcome<ArchiveExtractResult> Finish(VerbContext ctx, ArchiveExtractResult result, bool changed, ExtractOptions options, List<string> warnings)
    {
        foreach (var w in warnings.Take(100)) ctx.Warn(w);
        foreach (var w in result.Refused.Take(100)) ctx.Warn($"refused {w.Path}: {w.Reason}");
        if (result.Refused.Count > 100) ctx.Warn($"... and {result.Refused.Count - 100} more refused entries (see result.refused)");
        if (result.Refused.Count == 0 || !ctx.Get(Strict)) return Outcome.Changed(result, changed);
        var reasons = result.Refused.Select(r => r.Reason).ToHashSet();
        var hint = reasons.Contains("symlink_escape") && options.Links == LinkPolicy.Safe
            ? "Symlinks that point outside the destination were refused: if you trust this archive (a backup of a system tree), extract with links=keep. Pass strict=false to accept the partial result with exit 0."
            : reasons.Overlaps(["device_node", "fifo"])
                ? "Device nodes and FIFOs were refused: pass allow_special=true (devices need root). Pass strict=false to accept the partial result with exit 0."
                : "The listed entries were unsafe and were not extracted; everything else was. Pass strict=false to accept the partial result with exit 0.";
        return Outcome.Partial(result, changed, $"{result.Refused.Count} entr{(result.Refused.Count == 1 ? "y was" : "ies were")} refused; the rest was extracted to {PathBytes.Display(result.Destination)}.", hint,
            new System.Text.Json.Nodes.JsonObject { ["refused"] = result.Refused.Count, ["reasons"] = new System.Text.Json.Nodes.JsonArray(reasons.Order().Select(r => (System.Text.Json.Nodes.JsonNode?)r).ToArray()) });
    }

    static ArchiveExtractResult Result(string path, string destination, ArchiveFormat format, StagingReport r, MergePlan? plan, List<string>? planned) =>
        new(PathBytes.Display(path), PathBytes.Display(destination), format.Name, r.Files, r.Directories, r.Symlinks, r.Hardlinks, r.Special, r.Bytes,
            plan?.Created.Count ?? 0, plan?.Replaced.Count ?? 0, plan?.Unchanged.Count ?? 0, plan?.Skipped.Count ?? 0,
            r.Refused.Select(x => new ArchiveRefusal(PathBytes.Display(x.Path, out var escaped), x.Reason, escaped)).ToList(), planned);
}
