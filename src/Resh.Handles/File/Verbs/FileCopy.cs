using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileCopy
{
    internal static readonly string[] Policies = ["never", "always", "newer", "skip"];

    static readonly Arg<string?> To = Arg.String("to", "Destination path. A trailing slash, or an existing directory when copying a file, means inside it.", required: true,
        examples: ["/backup/hosts", "/backup/"], aliases: ["dest"], path: PathUse.Write).WithPathConfinement();
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
        notes: "A directory source names the destination tree itself (files are merged into an existing one), so a second run is `changed: false`. Destination files with identical content count as unchanged under every policy; with preserve=true their mode, mtime and (as root) owner are brought in line. Nothing is written when the plan has conflicts. Sockets are skipped with a warning. Data moves with copy_file_range(2), so file systems that can share extents (btrfs, xfs) make reflinks. Under a server's path patterns (resh mcp --allow, resh serve roles) copy takes one regular file, read from the descriptor judged and written through the destination's judged directory; preserve keeps its mode there.").WithPathConfinement();

    static async ValueTask<Outcome<FileCopyResult>> RunAsync(VerbContext ctx)
    {
        var source = FilePaths.Resolve(ctx);
        if (PathConfinement.Active) return await RunConfinedAsync(ctx, source).ConfigureAwait(false);
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
    /// Under a surface's path patterns: one regular file, read from a descriptor opened through descriptors and judged
    /// (PathConfinement.OpenRead), written atomically through the destination's judged directory (WriteTarget); the mode
    /// is kept with preserve. A directory tree, a symlink kept as a link and special files are refused there: each of
    /// their entries would be acted on by name.
    /// </summary>
    static async Task<Outcome<FileCopyResult>> RunConfinedAsync(VerbContext ctx, string source)
    {
        var src = PathConfinement.OpenRead(source, Posix.O_RDONLY | Posix.O_NONBLOCK, out var errno, out _);
        if (src is null) throw errno is 2 or 20 ? FileMetadata.NotFound(source).ToException() : FileErrors.Throw(errno, source, "read");
        using var _src = src;
        var ss = Posix.FStat((int)src.DangerousGetHandle(), out errno) ?? throw FileErrors.Throw(errno, source, "read");
        if (!ss.IsRegular)
            return ReshError.PermissionDenied($"{FilePaths.Display(source)} is a {ss.TypeName}: under this server's path patterns copy takes one regular file.",
                "Copy the files inside it one by one, or use the CLI.", new JsonObject { ["path"] = FilePaths.Display(source), ["type"] = ss.TypeName });
        var dest = Destination(ctx, ctx.Get(To)!, source, false);
        if (SamePlace(source, dest, ss) is { } same) return same;
        var policy = CopyPlan.ParsePolicy(ctx.Get(Overwrite));
        var preserve = ctx.Get(Preserve);
        using var target = WriteTarget.Open(dest, follow: false, "copy to");
        var existing = target.Existing;
        if (existing is { IsSymlink: true }) { target.ReplaceLink(); existing = null; }
        if (existing is { } ex && !ex.IsRegular)
            return ReshError.Conflict($"{FilePaths.Display(dest)} is a {ex.TypeName}, not a regular file.", "Choose another destination, or delete it first.",
                new JsonObject { ["to"] = FilePaths.Display(dest) });
        if (existing is { } same2 && same2.Inode == ss.Inode && same2.DevMajor == ss.DevMajor && same2.DevMinor == ss.DevMinor)
            return ReshError.Usage($"{source} and {dest} are the same file.", "Choose a different destination.", new JsonObject { ["from"] = source, ["to"] = dest });

        using var input = new FileStream(src, FileAccess.Read, 1);
        bool sameContent = false;
        if (existing is { } old)
        {
            using var oldHandle = target.OpenFile(Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out errno) ?? throw FileErrors.Throw(errno, dest, "read");
            var compare = new ComparingCopy(oldHandle, old.Size);
            await compare.CopyAsync(input, Stream.Null, ctx.Cancellation).ConfigureAwait(false);
            sameContent = compare.Same;
            input.Position = 0;
        }
        long unchanged = 0, skipped = 0, overwritten = 0, copied = 0, meta = 0, bytes = 0;
        var mode = preserve ? ss.Permissions : existing is null ? ss.Permissions & ~FileNative.Umask() : (uint?)null;
        bool write = true;
        if (existing is { } cur)
        {
            if (sameContent)
            {
                write = false;
                unchanged = 1;
                if (preserve && cur.Permissions != ss.Permissions)
                {
                    meta = 1;
                    if (!ctx.DryRun) FileErrors.Check(Posix.FChmodAt(target.DirFd, target.Name, ss.Permissions, follow: false), dest, "set the mode of");
                }
            }
            else if (policy == OverwritePolicy.Never)
                return ReshError.Conflict($"{FilePaths.Display(dest)} already exists with different content.",
                    "Choose an overwrite policy: overwrite=always (replace), newer (replace when the source is newer) or skip (keep existing).",
                    new JsonObject { ["to"] = FilePaths.Display(dest), ["conflicts"] = new JsonArray(FilePaths.Display(dest)) });
            else if (policy == OverwritePolicy.Skip || policy == OverwritePolicy.Newer && ss.ModifyTime <= cur.ModifyTime)
            {
                write = false;
                skipped = 1;
            }
            else overwritten = 1;
        }
        if (write)
        {
            copied = 1;
            bytes = ss.Size;
            if (!ctx.DryRun)
            {
                long written = 0;
                await AtomicRewrite.WriteAsync(ctx, target, async (output, ct) =>
                {
                    await input.CopyToAsync(output, 1 << 16, ct).ConfigureAwait(false);
                    written = input.Position;
                }, new AtomicRewrite.Options(mode, Ownership.Keep, Backup: false)).ConfigureAwait(false);
                bytes = written;
            }
        }
        var result = new FileCopyResult(FilePaths.Display(source), FilePaths.Display(dest), ss.TypeName, copied, 0, 0, unchanged, skipped, meta, overwritten, bytes, null);
        return Outcome.Changed(result, write || meta > 0);
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
