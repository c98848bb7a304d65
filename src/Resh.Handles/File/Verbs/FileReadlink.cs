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
        ]).WithPathConfinement();

    static Outcome<FileReadlinkResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        if (Resh.Core.Platform.PathConfinement.Active) return RunConfined(ctx, path);
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

    /// <summary>
    /// Under a surface's path patterns: the link is read with readlinkat in its directory as opened and judged; where it
    /// leads is opened through descriptors and judged as a read (its kernel name is `resolved`). A link leading outside
    /// the patterns is not followed: `resolved` is its target as stored, made absolute, with `resolved_exists: false` and a
    /// warning, so nothing outside is described.
    /// </summary>
    static Outcome<FileReadlinkResult> RunConfined(VerbContext ctx, string path)
    {
        using var parent = Resh.Core.Platform.PathConfinement.ParentForRead(path, out var errno, out _);
        if (parent is null) throw errno is 2 or 20 ? FileMetadata.NotFound(path).ToException() : FileErrors.Throw(errno, path, "read the link");
        var st = Resh.Core.Platform.Posix.StatAt(parent.DirFd, parent.Name, follow: false, out errno);
        if (st is null) throw errno is 2 or 20 ? FileMetadata.NotFound(path).ToException() : FileErrors.Throw(errno, path, "read the link");
        if (!st.Value.IsSymlink)
            return ReshError.Usage($"{path} is a {st.Value.TypeName}, not a symlink.", $"Describe it with resh file://{path}.stat",
                new JsonObject { ["path"] = path, ["type"] = st.Value.TypeName });
        var target = Resh.Core.Platform.Posix.ReadLinkAt(parent.DirFd, parent.Name, out errno) ?? throw FileErrors.Throw(errno, path, "read the link");
        var dir = Resh.Core.Platform.Posix.DescriptorPath(parent.DirFd) ?? Path.GetDirectoryName(path)!;
        var stored = Path.GetFullPath(target, dir);
        string resolved = stored;
        bool exists = false;
        try
        {
            using var handle = Resh.Core.Platform.PathConfinement.OpenRead(Path.Combine(dir, parent.Name), Resh.Core.Platform.Posix.O_PATH, out _, out _);
            if (handle is not null && Resh.Core.Platform.Posix.DescriptorPath((int)handle.DangerousGetHandle()) is { } real)
            {
                resolved = real;
                exists = true;
            }
        }
        catch (ReshException)
        {
            ctx.Warn($"{FilePaths.Display(path)} leads outside the paths this server allows: `resolved` is its target as stored, not followed.");
        }
        return new Outcome<FileReadlinkResult>(new FileReadlinkResult(FilePaths.Display(path), FilePaths.Display(target), FilePaths.Display(resolved), exists), false)
            .WithRaw(RawPayload.FromBytes(Resh.Core.Text.PathBytes.Encode(target + "\n")));
    }
}
