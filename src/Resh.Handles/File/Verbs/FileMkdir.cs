using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileMkdir
{
    static readonly Arg<bool> Parents = Arg.Bool("parents", "Create missing parent directories too (mkdir -p).", true);
    static readonly Arg<string?> Mode = Arg.String("mode", "Permissions the directory ends with: octal (0750, special bits kept) or symbolic (u=rwx,g=rx,o=; applied to 0777 minus the umask for a new directory, to the current bits for an existing one). An existing directory gets it too, but never through a symlink (a symlink to a directory with another mode is a conflict). Parents made on the way get 0777 minus the umask.");

    public static readonly VerbInfo Verb = VerbInfo.Define("mkdir", Effect.Mutate,
        "Make sure a directory exists (with its parents), optionally with a mode.",
        [Parents, Mode], () => FileJson.Default.FileMkdirResult, Run,
        examples:
        [
            new("file:///srv/app/releases.mkdir", "Create the directory and any missing parents."),
            new("file:///srv/app/secrets.mkdir mode=0700", "Create it (or fix its mode) as 0700."),
        ],
        notes: "An existing directory is not an error (`changed: false`); when `mode` is given and differs, the directory's mode is set (`mode_changed: true`). A symlink to a directory counts as that directory but is never chmodded through: a `mode` that differs from the target's is a `conflict` naming the real path. Anything else at the path (a file, a dangling symlink) is a `conflict`. A new directory is made and chmodded through its parent's descriptor, so setgid and sticky bits in `mode` are kept (mkdir(2) alone drops them and applies the umask).").WithPathConfinement();

    static Outcome<FileMkdirResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var umask = FileNative.Umask();
        var spec = ctx.Get(Mode) is { } m ? ModeSpec.Parse(m) : null;
        // The final name is looked at itself (lstat through its parent's descriptor): a mode is only ever
        // set on a directory resh finds or makes there, never on what a symlink points to.
        var here = SafePath.Resolve(path, followFinal: false, out var failure);
        if (here is null && failure.RefusedLink is not null) return WriteTarget.Error(path, failure, "create the directory");
        using (here)
        {
            if (here?.Stat(out _) is { } existing)
            {
                if (existing.IsSymlink)
                {
                    var through = FileMetadata.StatOrNull(path, follow: true);
                    if (through is not { IsDirectory: true })
                        return ReshError.Conflict($"{path} exists and is a symlink{(through is { } t ? $" to a {t.TypeName}" : " that leads nowhere")}, not a directory.", "Delete it first, or choose another path.",
                            new JsonObject { ["path"] = path, ["type"] = "symlink" });
                    if (spec is not null && spec.Apply(through.Value.Permissions, true, umask) != through.Value.Permissions)
                        return ReshError.Conflict($"{path} is a symlink to a directory; resh does not change a mode through a symlink.", $"Set the mode on the directory itself ({FileNative.RealPath(path, out _) ?? "its real path"}), or replace the link.",
                            new JsonObject { ["path"] = path, ["type"] = "symlink" });
                    return Outcome.Changed(new FileMkdirResult(FilePaths.Display(path), false, [], FileMetadata.OctalMode(through.Value.Permissions), false), false);
                }
                if (!existing.IsDirectory)
                    return ReshError.Conflict($"{path} exists and is a {existing.TypeName}, not a directory.", "Delete it first, or choose another path.",
                        new JsonObject { ["path"] = path, ["type"] = existing.TypeName });
                var want = spec?.Apply(existing.Permissions, true, umask);
                var modeChanged = want is { } w && w != existing.Permissions;
                if (modeChanged && !ctx.DryRun) PathConfinement.Enforce(PathAct.Write, here.DirFd, here.Name);
                if (modeChanged && !ctx.DryRun) FileErrors.Check(Posix.FChmodAt(here.DirFd, here.Name, want!.Value, follow: false), path, "set the mode of");
                return Outcome.Changed(new FileMkdirResult(FilePaths.Display(path), false, [], FileMetadata.OctalMode(want ?? existing.Permissions), modeChanged), modeChanged);
            }
        }

        var missing = FileParents.Missing(path);
        if (missing.Count > 1 && !ctx.Get(Parents))
            return ReshError.NotFound($"The parent {Path.GetDirectoryName(path)} does not exist.", "Pass parents=true (the default) to create it too.",
                new JsonObject { ["path"] = path, ["missing"] = missing[0] });
        var mode = spec?.Apply(0x1FF & ~umask, true, umask) ?? (0x1FF & ~umask);
        if (!ctx.DryRun)
        {
            foreach (var dir in missing)
            {
                if (dir == path) break;
                var errno = FileParents.Mkdir(dir, 0x1FF);
                if (errno == FileNative.EEXIST) continue;
                FileErrors.Check(errno, dir, "create the directory");
            }
            // The directory itself is made through its parent's descriptor, and its exact mode (mkdir(2) applies
            // the umask and ignores special bits) set there without following a symlink swapped in meanwhile.
            using var parent = SafePath.Resolve(path, followFinal: false, out var pf) ?? throw WriteTarget.Error(path, pf, "create the directory").ToException();
            PathConfinement.Enforce(PathAct.Write, parent.DirFd, parent.Name);
            FileErrors.Check(Posix.MkdirAt(parent.DirFd, parent.Name, mode & 0x1FF), path, "create the directory");
            if (spec is not null) FileErrors.Check(Posix.FChmodAt(parent.DirFd, parent.Name, mode, follow: false), path, "set the mode of");
        }
        return Outcome.Changed(new FileMkdirResult(FilePaths.Display(path), true, missing.Select(FilePaths.Display).ToList(), FileMetadata.OctalMode(mode), false), true);
    }
}
