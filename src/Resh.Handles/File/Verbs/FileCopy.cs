using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Files;

public static class FileCopy
{
    internal static readonly string[] Policies = ["never", "always", "newer", "skip"];

    static readonly Arg<string?> To = Arg.String("to", "Destination path. A trailing slash, or an existing directory when copying a file, means inside it.", required: true,
        examples: ["/backup/hosts", "/backup/"], aliases: ["dest"], path: PathUse.Write);
    static readonly Arg<string?> Overwrite = Arg.Enum("overwrite", "When the destination exists with different content: never (conflict), always (replace), newer (replace when the source is newer), skip (keep it).",
        Policies, "never");
    static readonly Arg<bool> Preserve = Arg.Bool("preserve", "Keep everything cp -a keeps: mode, access/modification times, owner and group (as root; the group alone otherwise), extended attributes, ACLs, hard links within the tree, FIFOs and (as root) device nodes.", true);
    static readonly Arg<bool> Recursive = Arg.Bool("recursive", "Required to copy a directory tree.");
    static readonly Arg<bool> Follow = Arg.Bool("follow", "Copy what symlinks point to instead of the links themselves (cp -L).");

    public static readonly VerbInfo Verb = VerbInfo.Define("copy", Effect.Mutate,
        "Copy a file, a symlink or (recursive=true) a directory tree; each file lands atomically.",
        [To, Overwrite, Preserve, Recursive, Follow], () => FileJson.Default.FileCopyResult, RunAsync,
        examples:
        [
            new("file:///etc/hosts.copy to=/backup/", "Copy into /backup (as /backup/hosts)."),
            new("file:///srv/site.copy to=/srv/site.bak recursive=true overwrite=always", "Mirror a tree; unchanged files are not rewritten."),
        ],
        notes: "A directory source names the destination tree itself (files are merged into an existing one), so a second run is `changed: false`. Destination files with identical content count as unchanged under every policy; with preserve=true their mode, mtime and (as root) owner are brought in line. Nothing is written when the plan has conflicts. Sockets are skipped with a warning. Data moves with copy_file_range(2), so file systems that can share extents (btrfs, xfs) make reflinks.");

    static async ValueTask<Outcome<FileCopyResult>> RunAsync(VerbContext ctx)
    {
        var source = FilePaths.Resolve(ctx);
        var follow = ctx.Get(Follow);
        var ss = FileMetadata.StatOrNull(source, follow) ?? FileMetadata.StatOrNull(source, false)
            ?? throw FileMetadata.NotFound(source).ToException();
        var rawTo = ctx.Get(To)!;
        var dest = Destination(ctx, rawTo, source, ss.IsDirectory);
        if (ss.IsDirectory && !ctx.Get(Recursive))
            return ReshError.Usage($"{FilePaths.Display(source)} is a directory.", "Pass recursive=true to copy the whole tree.", new JsonObject { ["path"] = FilePaths.Display(source) });
        if (SamePlace(source, dest, ss) is { } same) return same;

        var policy = CopyPlan.ParsePolicy(ctx.Get(Overwrite));
        var preserve = ctx.Get(Preserve);
        if (Path.GetDirectoryName(dest) is { } parent && FileParents.Missing(parent).Count > 0)
            return ReshError.NotFound($"The destination directory {FilePaths.Display(parent)} does not exist.", $"Create it first: resh file://{FilePaths.Display(parent)}.mkdir",
                new JsonObject { ["to"] = FilePaths.Display(dest) });

        var plan = CopyPlan.Build(ctx, source, ss, dest, policy, preserve, follow);
        if (plan.Conflicts.Count > 0) return plan.ConflictError(dest);

        string? diff = null;
        if (ss.IsRegular && plan.Steps is [{ Action: CopyAction.CopyFile } only])
        {
            var newBytes = ss.Size <= ContentDiff.MaxDiffInput ? FileContent.ReadAll(source, ContentDiff.MaxDiffInput * 2L, ctx.Cancellation) : null;
            var old = only.DestStat is { IsRegular: true } d && d.Size <= ContentDiff.MaxDiffInput ? FileContent.ReadAll(dest, ContentDiff.MaxDiffInput * 2L, ctx.Cancellation) : null;
            diff = newBytes is null || (only.DestStat is { IsRegular: true } && old is null)
                ? ContentDiff.TooLarge(dest, only.DestStat?.Size, ss.Size)
                : ContentDiff.Between(old ?? [], old is not null, newBytes, dest);
        }

        long bytes = plan.BytesToCopy;
        if (!ctx.DryRun && plan.Changes)
            bytes = await CopyApply.RunAsync(ctx, plan, preserve, preserveOwner: false).ConfigureAwait(false);

        var result = new FileCopyResult(FilePaths.Display(source), FilePaths.Display(dest), ss.TypeName,
            plan.Count(CopyAction.CopyFile) + plan.Count(CopyAction.MakeNode), plan.Count(CopyAction.MakeLink) + plan.Count(CopyAction.MakeHardLink), plan.Count(CopyAction.MakeDir),
            plan.Count(CopyAction.Unchanged) + plan.Steps.LongCount(s => s.Action == CopyAction.SyncMetadata && !s.SourceStat.IsDirectory),
            plan.Count(CopyAction.Skip), plan.Count(CopyAction.SyncMetadata), plan.Overwrites, bytes, diff);
        return Outcome.Changed(result, plan.Changes);
    }

    /// <summary>
    /// The destination itself: `to` with a trailing slash means inside it; so does an existing directory
    /// when the source is not a directory (cp habit). A directory source otherwise names the tree root.
    /// </summary>
    internal static string Destination(VerbContext ctx, string rawTo, string source, bool sourceIsDir)
    {
        var to = FilePaths.ResolveArg(ctx, rawTo, "to");
        var into = rawTo.EndsWith('/') && to != "/"
            || (!sourceIsDir && FileMetadata.StatOrNull(to, follow: true) is { IsDirectory: true })
            || to == "/";
        return into ? Path.Combine(to, Path.GetFileName(source)) : to;
    }

    /// <summary>Copying or moving something onto itself, or a directory into its own tree, is a usage error.</summary>
    internal static ReshError? SamePlace(string source, string dest, Resh.Core.Platform.FileStatus ss)
    {
        var ds = FileMetadata.StatOrNull(dest, follow: false);
        if (dest == source || ds is { } d && d.Inode == ss.Inode && d.DevMajor == ss.DevMajor && d.DevMinor == ss.DevMinor)
            return ReshError.Usage($"{source} and {dest} are the same file.", "Choose a different destination.", new JsonObject { ["from"] = source, ["to"] = dest });
        if (ss.IsDirectory && FilePaths.IsInside(dest, source))
            return ReshError.Usage($"Cannot put {source} inside itself ({dest}).", "Choose a destination outside the source tree.", new JsonObject { ["from"] = source, ["to"] = dest });
        return null;
    }
}
