using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileEaRemove
{
    static readonly Arg<string?> Name = Arg.String("name", "Attribute name; without a namespace it means user.NAME.", required: true, examples: ["user.comment"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("ea.remove", Effect.Mutate,
        "Remove an extended attribute; unchanged when it is already absent.",
        [Name, FileEaGet.Follow], () => FileJson.Default.FileEaRemoveResult, Run,
        examples: [new("file:///srv/data.bin.ea.remove name=user.comment", "Drop user.comment.")]);

    static Outcome<FileEaRemoveResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var name = ExtendedAttributes.FullName(ctx.Get(Name)!);
        var follow = ctx.Get(FileEaGet.Follow);
        FileMetadata.StatOrThrow(path, follow);
        var current = Posix.GetXattr(path, name, follow, out var errno);
        if (current is null)
        {
            if (errno == Posix.ENODATA) return new FileEaRemoveResult(FilePaths.Display(path), name, false);
            return ExtendedAttributes.Error(errno, path, name, "read");
        }
        if (!ctx.DryRun)
        {
            var rc = Posix.RemoveXattr(path, name, follow);
            if (rc != 0 && rc != Posix.ENODATA) return ExtendedAttributes.Error(rc, path, name, "remove");
        }
        return Outcome.Changed(new FileEaRemoveResult(FilePaths.Display(path), name, true));
    }
}
