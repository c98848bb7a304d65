using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileChmod
{
    static readonly Arg<string?> Mode = Arg.String("mode", "Octal (0644, 755, 4755) or symbolic (u+x,g-w,o=r, a+X, u=rwx,go=rx, g=u).", required: true,
        examples: ["0644", "u+x", "go-w", "a+X"]);
    static readonly Arg<bool> Recursive = Arg.Bool("recursive", "Apply to everything below a directory too (symlinks are skipped; chmod cannot change them).");
    static readonly Arg<bool> Force = Arg.Bool("force", "Allow a recursive change of /, a top-level directory (/etc, /usr, /var, /boot...) or a home directory.");

    public static readonly VerbInfo Verb = VerbInfo.Define("chmod", Effect.Mutate,
        "Change permission bits, octal or symbolic; changed only when bits differ.",
        [Mode, Recursive, Force], () => FileJson.Default.FileChmodResult, Run,
        examples:
        [
            new("file:///usr/local/bin/tool.chmod mode=0755", "Make a program executable."),
            new("file:///srv/site.chmod mode=u=rwX,go=rX recursive=true", "Directories 755, files 644 (X: execute only for directories and executables)."),
        ],
        notes: "Symbolic clauses without a who (+x) honour the umask, as chmod(1) does. A symlink target follows the link (under the fs.protected_symlinks rule, see write); links met inside a tree are skipped. " +
               "Every change is made relative to its directory's descriptor, so a directory swapped for a symlink mid-walk is never followed. A recursive change of /, a top-level directory or a home directory needs force=true.").WithPathConfinement();

    static Outcome<FileChmodResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var spec = ModeSpec.Parse(ctx.Get(Mode)!);
        var umask = FileNative.Umask();
        using var target = WriteTarget.Open(path, follow: true, "change the mode of");
        var root = target.Existing ?? throw FileMetadata.NotFound(path).ToException();
        var recursive = ctx.Get(Recursive);
        if (recursive && root.IsDirectory && !ctx.Get(Force) && DeleteGuard.CheckRecursive(ctx, target.FullPath, root, "change the mode of everything below") is { } refused)
            return refused;

        long changed = 0, checkedCount = 0;
        var rootMode = spec.Apply(root.Permissions, root.IsDirectory, umask);
        if (recursive && root.IsDirectory)
        {
            // Files as they are met; directories afterwards, deepest first, so a mode that takes away our
            // own access to a directory cannot stop the walk. Each by descriptor, never through a link.
            var dirs = new List<(string Relative, uint Want)>();
            foreach (var e in TreeWalk.EnumerateAt(target.DirFd, target.Name, target.FullPath, int.MaxValue, null,
                (where, errno) => throw FileErrors.Throw(errno, where, "read the directory"), ctx.Cancellation))
            {
                if (e.Stat.IsSymlink) continue;
                checkedCount++;
                var want = spec.Apply(e.Stat.Permissions, e.Stat.IsDirectory, umask);
                if (want == e.Stat.Permissions) continue;
                changed++;
                if (e.Stat.IsDirectory) dirs.Add((e.Path[(target.FullPath.Length + 1)..], want));
                else if (!ctx.DryRun) FileErrors.Check(Posix.FChmodAt(e.DirFd, e.Name, want, follow: false), e.Path, "change the mode of");
            }
            if (!ctx.DryRun && dirs.Count > 0)
            {
                var top = Posix.OpenAt(target.DirFd, target.Name, Posix.O_PATH | Posix.O_DIRECTORY | Posix.O_NOFOLLOW);
                if (top < 0) throw FileErrors.Throw(-top, path, "change the mode of");
                try
                {
                    for (int i = dirs.Count - 1; i >= 0; i--)
                    {
                        var (rel, want) = dirs[i];
                        var full = TreeWalk.Join(target.FullPath, rel);
                        var parent = SafePath.OpenParentBeneath(top, rel, out var name, out var errno);
                        if (parent < 0) throw FileErrors.Throw(errno, full, "change the mode of");
                        try { FileErrors.Check(Posix.FChmodAt(parent, name, want, follow: false), full, "change the mode of"); }
                        finally { Posix.Close(parent); }
                    }
                }
                finally { Posix.Close(top); }
            }
        }
        else if (recursive)
        {
            ctx.Warn($"{FilePaths.Display(path)} is not a directory; recursive has no effect.");
        }
        checkedCount++;
        if (rootMode != root.Permissions)
        {
            changed++;
            if (!ctx.DryRun) FileErrors.Check(Posix.FChmodAt(target.DirFd, target.Name, rootMode, follow: false), path, "change the mode of");
        }
        return Outcome.Changed(new FileChmodResult(FilePaths.Display(path), FileMetadata.OctalMode(root.Permissions), FileMetadata.OctalMode(rootMode), changed, checkedCount), changed > 0);
    }
}
