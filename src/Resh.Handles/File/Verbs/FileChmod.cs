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

    public static readonly VerbInfo Verb = VerbInfo.Define("chmod", Effect.Mutate,
        "Change permission bits, octal or symbolic; changed only when bits differ.",
        [Mode, Recursive], () => FileJson.Default.FileChmodResult, Run,
        examples:
        [
            new("file:///usr/local/bin/tool.chmod mode=0755", "Make a program executable."),
            new("file:///srv/site.chmod mode=u=rwX,go=rX recursive=true", "Directories 755, files 644 (X: execute only for directories and executables)."),
        ],
        notes: "Symbolic clauses without a who (+x) honour the umask, as chmod(1) does. A symlink target follows the link; links met inside a tree are skipped.");

    static Outcome<FileChmodResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var spec = ModeSpec.Parse(ctx.Get(Mode)!);
        var umask = FileNative.Umask();
        var root = FileMetadata.StatOrThrow(path, follow: true);

        long changed = 0, checkedCount = 0;
        var rootMode = spec.Apply(root.Permissions, root.IsDirectory, umask);
        void Visit(string p, FileStatus st)
        {
            checkedCount++;
            var want = spec.Apply(st.Permissions, st.IsDirectory, umask);
            if (want == st.Permissions) return;
            changed++;
            if (!ctx.DryRun) FileErrors.Check(FileNative.Chmod(p, want), p, "change the mode of");
        }

        if (ctx.Get(Recursive) && root.IsDirectory)
        {
            // Children first would leave a directory we just made unreadable unwalkable; walk, then apply deepest first.
            var entries = TreeWalk.Enumerate(path, int.MaxValue, null,
                (where, ex) => throw FileErrors.FromException(ex, where, "read the directory").ToException(), ctx.Cancellation)
                .Where(e => !e.Stat.IsSymlink).ToList();
            for (int i = entries.Count - 1; i >= 0; i--) Visit(entries[i].Path, entries[i].Stat);
        }
        else if (ctx.Get(Recursive))
        {
            ctx.Warn($"{path} is not a directory; recursive has no effect.");
        }
        Visit(path, root);
        return Outcome.Changed(new FileChmodResult(path, FileMetadata.OctalMode(root.Permissions), FileMetadata.OctalMode(rootMode), changed, checkedCount), changed > 0);
    }
}
