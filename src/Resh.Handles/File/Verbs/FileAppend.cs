using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileAppend
{
    static readonly Arg<ContentSource?> Content = Arg.Content("content", "Bytes to add at the end: text, @file or @- (standard input, streamed). Add your own newline.", required: true,
        examples: ["text", "@fragment.txt", "@-"]);
    static readonly Arg<bool> Create = Arg.Bool("create", "Create the file when it does not exist.", true);
    static readonly Arg<bool> Atomic = Arg.Bool("atomic", "Rewrite the whole file through a temporary file and rename (a crash leaves the old or the new content), instead of appending in place; a concurrent writer's lines can be lost and hard links are broken.");

    public static readonly VerbInfo Verb = VerbInfo.Define("append", Effect.Mutate,
        "Add bytes at the end of a file in place, like >> (creating it if needed).",
        [Content, Create, Atomic], () => FileJson.Default.FileAppendResult, RunAsync,
        examples:
        [
            new("file:///tmp/notes.txt.append content=@-", "Append standard input."),
            new("file:///var/log/app.log.append content=@event.txt", "Append to a log another process writes (O_APPEND: no line is lost)."),
            new("file:///etc/app.conf.append content=@extra.conf atomic=true", "Rewrite atomically instead: readers see the old or the new file, never half an append."),
        ],
        notes: "Not converging by nature: every run with non-empty content appends and reports `changed: true` (use lines.ensure for an idempotent line). " +
               "By default the bytes are appended with O_APPEND through the existing inode, as `>>` does: concurrent appenders each keep their lines and hard links keep sharing the file. " +
               "atomic=true copies the file to a temporary sibling, appends there and renames it over the original (keeping mode, owner, ACLs and extended attributes). " +
               "Symlinks are followed under the fs.protected_symlinks rule (see write).").WithPathConfinement();

    static async ValueTask<Outcome<FileAppendResult>> RunAsync(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        using var content = ctx.Get(Content) ?? ContentSource.FromBytes([]);
        if (Path.GetDirectoryName(path) is { } parent && FileParents.Missing(parent).Count > 0)
            return ReshError.NotFound($"The directory {FilePaths.Display(parent)} does not exist.", $"Create it first: resh file://{FilePaths.Display(parent)}.mkdir",
                new System.Text.Json.Nodes.JsonObject { ["path"] = FilePaths.Display(path) });
        using var target = WriteTarget.Open(path, follow: true, "append to");
        var existing = target.Existing;
        if (existing is { IsDirectory: true })
            return ReshError.Usage($"{FilePaths.Display(path)} is a directory; append adds to a file.", $"Name a file inside it, e.g. file://{FilePaths.Display(path)}/name.append.");
        if (existing is { } ex && !ex.IsRegular)
            return ReshError.Usage($"{FilePaths.Display(path)} is a {ex.TypeName}, not a regular file.", "append only extends regular files.");
        if (existing is null && !ctx.Get(Create))
            return FileMetadata.NotFound(path);

        long oldSize = existing?.Size ?? 0;
        var small = content.TryBuffer(ContentDiff.MaxDiffInput);
        string? diff;
        if (small is not null && oldSize + small.Length <= ContentDiff.MaxDiffInput)
        {
            var old = existing is null ? [] : target.ReadAll(ContentDiff.MaxDiffInput * 2L, ctx.Cancellation);
            diff = ContentDiff.Between(old, existing is not null, [.. old, .. small], path);
        }
        else diff = small is null ? $"Content of {FilePaths.Display(path)} grows by a stream of bytes; too large to show a line diff.\n" : ContentDiff.TooLarge(path, existing is null ? null : oldSize, oldSize + small.Length);

        bool changed = small is null || small.Length > 0 || existing is null;
        if (!changed) diff = null;
        long appended = small?.Length ?? 0;
        long size = oldSize + appended;
        bool inPlace = existing is not null && !ctx.Get(Atomic);
        if (changed && !ctx.DryRun)
        {
            if (!inPlace)
            {
                await AtomicRewrite.WriteAsync(ctx, target, async (stream, ct) =>
                {
                    if (existing is not null)
                    {
                        using var srcHandle = target.OpenFile(Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out var errno) ?? throw FileErrors.Throw(errno, path, "read");
                        await using var src = new FileStream(srcHandle, FileAccess.Read, 1);
                        await src.CopyToAsync(stream, 1 << 20, ct).ConfigureAwait(false);
                    }
                    appended = await CopyContent(content, small, stream, ct).ConfigureAwait(false);
                }, new AtomicRewrite.Options(null, Ownership.Keep, false)).ConfigureAwait(false);
            }
            else
            {
                using var handle = target.OpenFile(Posix.O_WRONLY | Posix.O_APPEND | Posix.O_NONBLOCK, 0, out var errno) ?? throw FileErrors.Throw(errno, path, "append to");
                var fd = (int)handle.DangerousGetHandle();
                if (Posix.FStat(fd, out _) is not { IsRegular: true })
                    return ReshError.Conflict($"{FilePaths.Display(path)} changed while it was being opened.", "Retry.");
                try
                {
                    await using var fs = new FileStream(handle, FileAccess.Write, 1);
                    appended = await CopyContent(content, small, fs, ctx.Cancellation).ConfigureAwait(false);
                    FileErrors.Check(Posix.FSync(fd), path, "append to");
                }
                catch (IOException ioe)
                {
                    throw FileErrors.FromException(ioe, path, "append to").ToException();
                }
            }
            size = target.Refresh()?.Size ?? oldSize + appended;
        }
        else if (small is null)
        {
            // A dry run of a streamed append: count the bytes.
            await using var input = content.OpenRead();
            appended = await CopyContent(content, null, Stream.Null, ctx.Cancellation, input).ConfigureAwait(false);
            size = oldSize + appended;
        }
        return Outcome.Changed(new FileAppendResult(FilePaths.Display(path), appended, size, existing is null, diff, inPlace), changed);
    }

    /// <summary>Writes the content (small: one write, so an O_APPEND append lands whole) and returns the bytes written.</summary>
    static async Task<long> CopyContent(ContentSource content, byte[]? small, Stream output, CancellationToken ct, Stream? opened = null)
    {
        if (small is not null)
        {
            await output.WriteAsync(small, ct).ConfigureAwait(false);
            return small.Length;
        }
        var input = opened ?? content.OpenRead();
        try
        {
            var buffer = new byte[1 << 20];
            long total = 0;
            int n;
            while ((n = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                total += n;
            }
            return total;
        }
        finally
        {
            if (opened is null) await input.DisposeAsync().ConfigureAwait(false);
        }
    }
}
