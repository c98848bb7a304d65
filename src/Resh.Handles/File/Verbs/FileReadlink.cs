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
        var target = FileErrors.Guard(path, "read the link", () => new FileInfo(path).LinkTarget) ?? "";
        var resolved = FileNative.RealPath(path, out _);
        var exists = resolved is not null;
        if (resolved is null)
        {
            // Dangling (or a loop): resolve as far as the links go.
            try { resolved = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName; }
            catch (IOException) { }
            resolved ??= Path.GetFullPath(target, Path.GetDirectoryName(path)!);
        }
        return new Outcome<FileReadlinkResult>(new FileReadlinkResult(path, target, resolved, exists), false).WithRaw(RawPayload.FromText(target));
    }
}
