using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileSymlink
{
    static readonly Arg<string?> To = Arg.String("to", "What the link points to, stored exactly as given (a relative target is relative to the link's directory).", required: true,
        examples: ["/srv/app/releases/v2", "../shared/config"], aliases: ["target"], path: PathUse.LinkTarget).WithPathConfinement();
    static readonly Arg<bool> Force = Arg.Bool("force", "Replace an existing link or file at the path (atomically; never a directory).");

    public static readonly VerbInfo Verb = VerbInfo.Define("symlink", Effect.Mutate,
        "Make the path a symlink pointing to `to`; unchanged when it already does.",
        [To, Force], () => FileJson.Default.FileSymlinkResult, Run,
        targetHelp: "The path of the link to create.",
        examples:
        [
            new("file:///srv/app/current.symlink to=/srv/app/releases/v2 force=true", "Switch a release atomically."),
            new("file:///usr/local/bin/tool.symlink to=/opt/tool/bin/tool", "Put a program on PATH."),
        ],
        notes: "The target need not exist. An existing different link or file is a `conflict` unless force=true, which swaps it with one rename (no moment without a link); a real directory is never replaced. Under a server's path patterns (resh mcp --allow, resh serve roles) the link is made in its directory as opened and checked.").WithPathConfinement();

    static Outcome<FileSymlinkResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var to = ctx.Get(To)!;
        if (to.Length == 0) return ReshError.Usage("`to` is empty.", "Give the path the link should point to.");
        var st = FileMetadata.StatOrNull(path, follow: false);
        string? replaced = null;
        if (st is { } existing)
        {
            if (existing.IsSymlink)
            {
                var current = Posix.ReadLink(path, out var errno) ?? throw FileErrors.Throw(errno, path, "read the link");
                if (current == to) return new FileSymlinkResult(FilePaths.Display(path), FilePaths.Display(to), false, null);
                replaced = current;
            }
            else replaced = existing.TypeName;
            if (existing.IsDirectory)
                return ReshError.Conflict($"{path} is a directory; a link cannot replace it.", $"Delete it first (resh file://{path}.delete recursive=true), or link elsewhere.",
                    new JsonObject { ["path"] = path });
            if (!ctx.Get(Force))
                return ReshError.Conflict(existing.IsSymlink ? $"{path} is already a link to {replaced}." : $"{path} already exists as a {existing.TypeName}.",
                    "Pass force=true to replace it.", new JsonObject { ["path"] = path, ["existing"] = replaced, ["wanted"] = to });
        }
        else FileParents.Ensure(ctx, path, create: false);

        // Under a surface's path patterns the link is made in its directory as opened and judged here (symlinkat,
        // renameat), not by path: a symlink swapped on the way meanwhile cannot plant it elsewhere.
        if (!ctx.DryRun && PathConfinement.Parent(path, PathAct.Write, f => WriteTarget.Error(path, f, "create the link")) is { } parent)
        {
            using (parent)
            {
                var now = parent.Stat(out _);
                if (now is { IsDirectory: true } || (now is not null) != (st is not null))
                    return ReshError.Conflict($"{FilePaths.Display(path)} changed while the link was being made; nothing was changed.", "Call it again.",
                        new JsonObject { ["path"] = FilePaths.Display(path) });
                if (now is null) FileErrors.Check(Posix.SymlinkAt(to, parent.DirFd, parent.Name), path, "create the link");
                else
                {
                    var temp = AtomicRewrite.TempName(parent.Name);
                    FileErrors.Check(Posix.SymlinkAt(to, parent.DirFd, temp), path, "create the link");
                    var errno = Posix.RenameAt(parent.DirFd, temp, parent.DirFd, parent.Name);
                    if (errno != 0)
                    {
                        Posix.UnlinkAt(parent.DirFd, temp, directory: false);
                        FileErrors.Check(errno, path, "replace");
                    }
                }
                LibC.FSyncDirectory(Path.GetDirectoryName(path)!);
            }
        }
        else if (!ctx.DryRun)
        {
            if (st is null)
            {
                FileErrors.Check(FileNative.Symlink(to, path), path, "create the link");
            }
            else
            {
                var temp = Path.Combine(Path.GetDirectoryName(path)!, AtomicRewrite.TempName(Path.GetFileName(path)));
                FileErrors.Check(FileNative.Symlink(to, temp), path, "create the link");
                var errno = FileNative.Rename(temp, path);
                if (errno != 0)
                {
                    FileNative.Unlink(temp);
                    FileErrors.Check(errno, path, "replace");
                }
            }
            LibC.FSyncDirectory(Path.GetDirectoryName(path)!);
        }
        return Outcome.Changed(new FileSymlinkResult(FilePaths.Display(path), FilePaths.Display(to), st is null, replaced is null ? null : FilePaths.Display(replaced)));
    }
}
