using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileMove
{
    static readonly Arg<string?> To = Arg.String("to", "Destination path. A trailing slash, or an existing directory when moving a file, means inside it.", required: true,
        examples: ["/srv/archive/app.log", "/srv/archive/"], aliases: ["dest"], path: PathUse.Write).WithPathConfinement();
    static readonly Arg<string?> Overwrite = Arg.Enum("overwrite", "When the destination exists: never (conflict), always (replace it), newer (replace when the source is newer), skip (leave both).",
        FileCopy.Policies, "never");
    static readonly Arg<bool> Force = Arg.Bool("force", "Allow moving (or replacing) /, top-level directories, the home directory and mount points.");

    public static readonly VerbInfo Verb = VerbInfo.Define("move", Effect.Mutate,
        "Move or rename a file, link or directory: rename(2), or copy and delete across file systems.",
        [To, Overwrite, Force], () => FileJson.Default.FileMoveResult, RunAsync,
        examples:
        [
            new("file:///tmp/report.txt.move to=/srv/reports/", "Move into /srv/reports."),
            new("file:///srv/app/current.new.move to=/srv/app/current overwrite=always", "Replace a file atomically (one rename)."),
        ],
        notes: "When the source is gone and the destination exists, the move already happened: `already_moved: true`, `changed: false`. Across file systems the tree is copied as cp -a would (modes, times, owners as root, extended attributes, ACLs, hard links, FIFOs, device nodes as root), then the source is removed, but only when every entry was recreated: a socket (or a device node without root) is skipped with a warning, the call is `partial` and the source stays whole. Replacing an existing directory removes it first. Under a server's path patterns (resh mcp --allow, resh serve roles) the source is renamed out of its directory as opened and checked; replacing a directory and moves across file systems are refused.").WithPathConfinement();

    static async ValueTask<Outcome<FileMoveResult>> RunAsync(VerbContext ctx)
    {
        var source = FilePaths.Resolve(ctx);
        var rawTo = ctx.Get(To)!;
        var force = ctx.Get(Force);
        var ss = FileMetadata.StatOrNull(source, follow: false);
        if (ss is not { } src)
        {
            var to = FilePaths.ResolveArg(ctx, rawTo, "to");
            var inside = Path.Combine(to, Path.GetFileName(source));
            string[] candidates = rawTo.EndsWith('/') ? [inside] : [inside, to];
            foreach (var candidate in candidates)
                if (FileMetadata.StatOrNull(candidate, follow: false) is not null)
                    return new FileMoveResult(FilePaths.Display(source), FilePaths.Display(candidate), "none", false, false, true, []);
            return FileMetadata.NotFound(source);
        }

        var dest = FileCopy.Destination(ctx, rawTo, source, src.IsDirectory);
        if (FileCopy.SamePlace(source, dest, src) is { } same) return same;
        if (!force && DeleteGuard.Check(ctx, source, src, "move") is { } refused) return refused;
        if (Path.GetDirectoryName(dest) is { } parent && FileParents.Missing(parent).Count > 0)
            return ReshError.NotFound($"The destination directory {parent} does not exist.", $"Create it first: resh file://{parent}.mkdir",
                new JsonObject { ["to"] = dest });

        var policy = CopyPlan.ParsePolicy(ctx.Get(Overwrite));
        var ds = FileMetadata.StatOrNull(dest, follow: false);
        TreeRemoval? replaced = null;
        if (ds is { } existing)
        {
            if (existing.IsDirectory != src.IsDirectory)
                return ReshError.Conflict($"{dest} exists and is a {existing.TypeName}; {source} is a {src.TypeName}.", "Move it elsewhere, or delete the destination first.",
                    new JsonObject { ["from"] = source, ["to"] = dest });
            bool replace = policy switch
            {
                OverwritePolicy.Always => true,
                OverwritePolicy.Newer => src.ModifyTime > existing.ModifyTime,
                OverwritePolicy.Skip => false,
                _ => throw ReshError.Conflict($"{dest} already exists.", "Choose overwrite=always (replace), newer or skip.",
                    new JsonObject { ["from"] = source, ["to"] = dest }).ToException(),
            };
            if (!replace) return new FileMoveResult(FilePaths.Display(source), FilePaths.Display(dest), "none", false, true, false, []);
            if (existing.IsDirectory)
            {
                if (PathConfinement.Active)
                    return ReshError.PermissionDenied($"{FilePaths.Display(dest)} is an existing directory, and replacing a whole tree cannot yet be held to this server's path patterns entry by entry.",
                        "Delete the destination's files first, or move to a new name.", new JsonObject { ["from"] = FilePaths.Display(source), ["to"] = FilePaths.Display(dest) });
                if (!force && DeleteGuard.Check(ctx, dest, existing, "replace") is { } r2) return r2;
                replaced = TreeRemoval.Plan(ctx, dest);
                if (replaced.Refusal(force) is { } refusal) { replaced.Dispose(); return refusal; }
            }
        }

        var method = SameFileSystem(source, dest) ? "rename" : "copy+delete";
        if (ctx.DryRun)
        {
            replaced?.Dispose();
            return Outcome.Changed(new FileMoveResult(FilePaths.Display(source), FilePaths.Display(dest), method, ds is not null, false, false, []));
        }

        using (replaced) replaced?.ApplyOrThrow(ctx, force);
        // Under a surface's path patterns the source is renamed out of its directory as opened and judged here, not
        // looked up again by name (PathConfinement): a symlink swapped on the way cannot bring another file in.
        using var srcParent = PathConfinement.Parent(source, PathAct.Delete, f => WriteTarget.Error(source, f, "move"));
        // Renamed into the destination's directory as opened here, which a surface's path patterns judge (PathConfinement).
        int errno;
        var destDirFd = Posix.OpenAt(Posix.AT_FDCWD, Path.GetDirectoryName(dest)!, Posix.O_PATH | Posix.O_DIRECTORY);
        if (destDirFd < 0) errno = -destDirFd;
        else
        {
            try
            {
                PathConfinement.Enforce(PathAct.Write, destDirFd, Path.GetFileName(dest));
                errno = srcParent is null ? Posix.RenameAt(Posix.AT_FDCWD, source, destDirFd, Path.GetFileName(dest))
                    : Posix.RenameAt(srcParent.DirFd, srcParent.Name, destDirFd, Path.GetFileName(dest));
            }
            finally { Posix.Close(destDirFd); }
        }
        List<string> notCopied = [];
        if (errno == FileNative.EXDEV && srcParent is not null)
            return ReshError.PermissionDenied($"{FilePaths.Display(source)} and {FilePaths.Display(dest)} are on different file systems, and a copy across them cannot yet be held to this server's path patterns entry by entry.",
                "Move it within one file system, or from the command line.", new JsonObject { ["from"] = FilePaths.Display(source), ["to"] = FilePaths.Display(dest) });
        if (errno == FileNative.EXDEV)
        {
            method = "copy+delete";
            notCopied = await MoveAcrossDevicesAsync(ctx, source, src, dest, force).ConfigureAwait(false);
        }
        else FileErrors.Check(errno, source, "move");
        LibC.FSyncDirectory(Path.GetDirectoryName(dest)!);
        var result = new FileMoveResult(FilePaths.Display(source), FilePaths.Display(dest), method, ds is not null, false, false, notCopied.Select(FilePaths.Display).ToList());
        if (notCopied.Count == 0) return Outcome.Changed(result);
        return Outcome.Partial(result, true,
            $"{notCopied.Count} entr{(notCopied.Count == 1 ? "y" : "ies")} of {FilePaths.Display(source)} could not be recreated on the other file system (first: {FilePaths.Display(notCopied[0])}); everything else was copied and the source was kept whole.",
            "result.not_copied lists them; once you have dealt with them, delete the source yourself.",
            new JsonObject { ["from"] = FilePaths.Display(source), ["to"] = FilePaths.Display(dest) });
    }

    static bool SameFileSystem(string source, string dest)
    {
        var a = Posix.Stat(source, false, out _);
        var b = Posix.Stat(Path.GetDirectoryName(dest)!, true, out _);
        return a is { } x && b is { } y && x.DevMajor == y.DevMajor && x.DevMinor == y.DevMinor;
    }

    /// <summary>Copies like cp -a, then removes the source only when every entry was recreated; returns what was not.</summary>
    static async Task<List<string>> MoveAcrossDevicesAsync(VerbContext ctx, string source, FileStatus src, string dest, bool force)
    {
        TreeRemoval? tree = null;
        if (src.IsDirectory)
        {
            tree = TreeRemoval.Plan(ctx, source);
        }
        using (tree)
        {
            if (tree?.Refusal(force) is { } refusal) throw refusal.ToException();
            var plan = CopyPlan.Build(ctx, source, src, dest, OverwritePolicy.Always, preserve: true, follow: false);
            if (plan.Conflicts.Count > 0) throw plan.ConflictError(dest).ToException();
            await CopyApply.RunAsync(ctx, plan, preserve: true, preserveOwner: LibC.GetEUid() == 0).ConfigureAwait(false);
            if (plan.Skipped.Count > 0) return plan.Skipped;
            if (tree is not null) tree.ApplyOrThrow(ctx, force);
            else FileErrors.Check(FileNative.Unlink(source), source, "remove the moved");
        }
        return [];
    }
}
