using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileDelete
{
    static readonly Arg<bool> Recursive = Arg.Bool("recursive", "Required to remove a directory: removes it and everything below it.");
    static readonly Arg<bool> Force = Arg.Bool("force", "Allow removing /, top-level directories, the home directory and mount points (or trees containing mount points).");

    public static readonly VerbInfo Verb = VerbInfo.Define("delete", Effect.Destroy,
        "Remove a file, a symlink (never what it points to), or a directory tree with recursive=true.",
        [Recursive, Force], () => FileJson.Default.FileDeleteResult, Run,
        examples:
        [
            new("file:///tmp/old.log.delete", "Remove a file; a second run is `changed: false`."),
            new("file:///srv/app/releases/v1.delete recursive=true --dry-run", "Show how many entries and bytes would go."),
        ],
        notes: "A missing path is not an error: `existed: false`, `changed: false` (like Ansible's state=absent). Symlinks are removed, never followed, inside trees too. Nothing is removed when any part of a tree cannot be read (the whole plan is checked first). " +
               "When entries cannot be removed part-way (an immutable file, a busy mount), the rest is still removed and the call is `partial` (exit 9): result.removed_paths and result.not_removed say what went and what stayed. " +
               "Under a server's path patterns (resh mcp --allow, resh serve roles) the name is removed from its directory as opened and checked, and recursive=true is refused.").WithPathConfinement();

    static Outcome<FileDeleteResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var shown = FilePaths.Display(path);
        var st = FileMetadata.StatOrNull(path, follow: false);
        if (st is not { } root) return new FileDeleteResult(shown, false, null, 0, 0, [], []);
        var force = ctx.Get(Force);
        if (!force && DeleteGuard.Check(ctx, path, root, "delete") is { } refused) return refused;

        // Under a surface's path patterns the name is removed from its directory as opened and judged here (unlinkat),
        // not looked up again by path: a symlink swapped on the way meanwhile cannot take the delete elsewhere.
        using var parent = PathConfinement.Parent(path, PathAct.Delete, f => WriteTarget.Error(path, f, "delete"));
        if (parent is not null)
        {
            if (parent.Stat(out var perr) is not { } now)
                return perr == Posix.ENOENT ? new FileDeleteResult(shown, false, null, 0, 0, [], []) : throw FileErrors.Throw(perr, path, "delete");
            root = now;
            if (root.IsDirectory && ctx.Get(Recursive))
                return ReshError.PermissionDenied($"{shown} is a directory, and a recursive delete cannot yet be held to this server's path patterns entry by entry.",
                    "Delete the files one by one, or run the recursive delete from the command line.", new JsonObject { ["path"] = shown });
        }
        if (!root.IsDirectory)
        {
            if (!ctx.DryRun)
                FileErrors.Check(parent is null ? FileNative.Unlink(path) : Posix.UnlinkAt(parent.DirFd, parent.Name, directory: false), path, "delete");
            return Outcome.Changed(new FileDeleteResult(shown, true, root.TypeName, 1, root.IsRegular ? root.Size : 0, [], []));
        }
        if (!ctx.Get(Recursive))
            return ReshError.Usage($"{shown} is a directory.", "Pass recursive=true to remove it and everything in it.",
                new JsonObject { ["path"] = shown });

        // Plan: every entry below, checked before anything is removed.
        using var tree = TreeRemoval.Plan(ctx, path);
        if (tree.Refusal(force) is { } refusal) return refusal;
        if (ctx.DryRun) return Outcome.Changed(new FileDeleteResult(shown, true, "directory", tree.Count, tree.Bytes, [], []));
        var report = tree.Apply(ctx, force);
        if (report.Complete) return Outcome.Changed(new FileDeleteResult(shown, true, "directory", report.Removed, report.Bytes, [], []));
        var result = new FileDeleteResult(shown, true, "directory", report.Removed, report.Bytes, report.RemovedPaths, report.NotRemoved);
        return Outcome.Partial(result, report.Removed > 0,
            $"Removed {report.Removed} of {tree.Count} entries of {shown}; {report.Failures} could not be removed (first: {report.NotRemoved[0].Path}: {report.NotRemoved[0].Error}).",
            "result.not_removed lists what is left and why; fix that (permissions, immutable files, busy mounts) and run the delete again.",
            new JsonObject { ["path"] = shown, ["removed"] = report.Removed, ["not_removed"] = report.Failures });
    }
}
