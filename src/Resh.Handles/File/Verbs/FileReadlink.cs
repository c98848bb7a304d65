using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Files;

public static class FileReadlink
{
    public static readonly VerbInfo Verb = VerbInfo.Define("readlink", Effect.Read,
        "Where a symlink points: the stored target and the fully resolved path.",
        [], () => FileJson.Default.FileReadlinkResult, Run,
        examples:
        [
            new("file:///etc/localtime.readlink", "The zoneinfo file the system time zone links to."),
            new("file:///usr/bin/python3.readlink --format raw", "Just the stored target."),
        ]);

    static Outcome<FileReadlinkResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var st = FileMetadata.StatOrThrow(path, follow: false);
        if (!st.IsSymlink)
            return ReshError.Usage($"{path} is a {st.TypeName}, not a symlink.", $"Describe it with resh file://{path}.stat",
                new JsonObject { ["path"] = path, ["type"] = st.TypeName });
        var target = Resh.Core.Platform.Posix.ReadLink(path, out var errno) ?? throw FileErrors.Throw(errno, path, "read the link");
        var resolved = FileNative.RealPath(path, out _);
        var exists = resolved is not null;
        if (resolved is null)
        {
            // Dangling (or a loop): resolve as far as the links go.
            resolved = Path.GetFullPath(target, Path.GetDirectoryName(path)!);
            for (int hops = 0; hops < 40 && Resh.Core.Platform.Posix.ReadLink(resolved, out _) is { } next; hops++)
                resolved = Path.GetFullPath(next, Path.GetDirectoryName(resolved)!);
        }
        return new Outcome<FileReadlinkResult>(new FileReadlinkResult(FilePaths.Display(path), FilePaths.Display(target), FilePaths.Display(resolved), exists), false)
            .WithRaw(RawPayload.FromBytes(Resh.Core.Text.PathBytes.Encode(target + "\n")));
    }
}
