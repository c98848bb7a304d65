using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Files;

public static class FileExists
{
    public static readonly VerbInfo Verb = VerbInfo.Define("exists", Effect.Read,
        "Tell whether something exists at the path (a dangling symlink counts).",
        [], () => FileJson.Default.FileExistsResult, Run,
        examples: [new("file:///etc/hosts.exists", "true or false, never an error.")]).WithPathConfinement();

    static Outcome<FileExistsResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var confinedStat = FileMetadata.ConfinedStat(path, follow: false, out var confined, out _);
        var st = confined ? confinedStat : FileMetadata.StatOrNull(path, follow: false);
        return new Outcome<FileExistsResult>(new FileExistsResult(FilePaths.Display(path), st is not null, st?.TypeName), false)
            .WithRaw(Resh.Core.Execution.RawPayload.FromText(st is not null ? "true" : "false"));
    }
}
