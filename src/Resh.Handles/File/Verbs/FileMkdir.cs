using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Files;

public static class FileMkdir
{
    static readonly Arg<bool> Parents = Arg.Bool("parents", "Create missing parent directories too (mkdir -p).", true);
    static readonly Arg<string?> Mode = Arg.String("mode", "Permissions of the directory: octal (0750) or symbolic (u=rwx,g=rx,o=). Applied to an existing directory too; parents get 0777 minus the umask.");

    public static readonly VerbInfo Verb = VerbInfo.Define("mkdir", Effect.Mutate,
        "Make sure a directory exists (with its parents), optionally with a mode.",
        [Parents, Mode], () => FileJson.Default.FileMkdirResult, Run,
        examples:
        [
            new("file:///srv/app/releases.mkdir", "Create the directory and any missing parents."),
            new("file:///srv/app/secrets.mkdir mode=0700", "Create it (or fix its mode) as 0700."),
        ],
        notes: "An existing directory is not an error (`changed: false`), unless its mode differs from `mode`, which is then fixed. Something else at the path is a `conflict`.");

    static Outcome<FileMkdirResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var umask = FileNative.Umask();
        var spec = ctx.Get(Mode) is { } m ? ModeSpec.Parse(m) : null;
        var st = FileMetadata.StatOrNull(path, follow: true);
        if (st is { } existing)
        {
            if (!existing.IsDirectory)
                return ReshError.Conflict($"{path} exists and is a {existing.TypeName}, not a directory.", "Delete it first, or choose another path.",
                    new JsonObject { ["path"] = path, ["type"] = existing.TypeName });
            var want = spec?.Apply(existing.Permissions, true, umask);
            var modeChanged = want is { } w && w != existing.Permissions;
            if (modeChanged && !ctx.DryRun) FileErrors.Check(FileNative.Chmod(path, want!.Value), path, "set the mode of");
            return Outcome.Changed(new FileMkdirResult(FilePaths.Display(path), false, [], FileMetadata.OctalMode(want ?? existing.Permissions), modeChanged), modeChanged);
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
                var errno = FileNative.Mkdir(dir, dir == path ? mode & 0x1FF : 0x1FF);
                if (errno == FileNative.EEXIST && dir != path) continue;
                FileErrors.Check(errno, dir, "create the directory");
            }
            // mkdir(2) applies the umask and ignores special bits: set the exact mode when one was asked for.
            if (spec is not null) FileErrors.Check(FileNative.Chmod(path, mode), path, "set the mode of");
        }
        return Outcome.Changed(new FileMkdirResult(FilePaths.Display(path), true, missing.Select(FilePaths.Display).ToList(), FileMetadata.OctalMode(mode), false), true);
    }
}
