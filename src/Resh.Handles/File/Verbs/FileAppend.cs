using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Files;

public static class FileAppend
{
    static readonly Arg<byte[]?> Content = Arg.Bytes("content", "Bytes to add at the end: text, @file or @- (standard input). Add your own newline.", required: true,
        examples: ["text", "@fragment.txt", "@-"]);
    static readonly Arg<bool> Create = Arg.Bool("create", "Create the file when it does not exist.", true);
    static readonly Arg<bool> Atomic = Arg.Bool("atomic", "Rewrite through a temporary file and rename (a crash leaves the old or the new content). false appends in place with O_APPEND: for large files or logs other processes hold open.", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("append", Effect.Mutate,
        "Add bytes at the end of a file (creating it if needed).",
        [Content, Create, Atomic], () => FileJson.Default.FileAppendResult, RunAsync,
        examples:
        [
            new("file:///tmp/notes.txt.append content=@-", "Append standard input."),
            new("file:///var/log/app.log.append content=@event.txt atomic=false", "Append in place to a log another process writes."),
        ],
        notes: "Not converging by nature: every run with non-empty content appends and reports `changed: true` (use lines.ensure for an idempotent line). The default atomic mode keeps the file's mode and owner; it copies the file, so a concurrent appender's write during the copy can be lost — use atomic=false for live logs.");

    static async ValueTask<Outcome<FileAppendResult>> RunAsync(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var content = ctx.Get(Content) ?? [];
        var target = FilePaths.ContentPath(path);
        var existing = FileMetadata.StatOrNull(target, follow: false);
        if (existing is { IsDirectory: true })
            return ReshError.Usage($"{path} is a directory; append adds to a file.", $"Name a file inside it, e.g. file://{path}/name.append.");
        if (existing is { } ex && !ex.IsRegular)
            return ReshError.Usage($"{path} is a {ex.TypeName}, not a regular file.", "append only extends regular files.");
        if (existing is null && !ctx.Get(Create))
            return ReshError.NotFound($"{path} does not exist.", "Pass create=true to create it, or check the path.",
                new System.Text.Json.Nodes.JsonObject { ["path"] = path });
        if (existing is null) FileParents.Ensure(ctx, target, create: false);

        long oldSize = existing?.Size ?? 0;
        string? diff;
        if (oldSize + content.Length <= ContentDiff.MaxDiffInput)
        {
            var old = existing is null ? [] : FileContent.ReadAll(target, ContentDiff.MaxDiffInput * 2L, ctx.Cancellation);
            diff = ContentDiff.Between(old, existing is not null, [.. old, .. content], path);
        }
        else diff = ContentDiff.TooLarge(path, existing is null ? null : oldSize, oldSize + content.Length);

        bool changed = content.Length > 0 || existing is null;
        if (!changed) diff = null;
        if (changed && !ctx.DryRun)
        {
            if (ctx.Get(Atomic) || existing is null)
            {
                await AtomicRewrite.WriteAsync(ctx, target, async (stream, ct) =>
                {
                    if (existing is not null)
                    {
                        await using var src = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
                        await src.CopyToAsync(stream, 1 << 20, ct).ConfigureAwait(false);
                    }
                    await stream.WriteAsync(content, ct).ConfigureAwait(false);
                }, existing, new AtomicRewrite.Options(null, Ownership.Keep, false)).ConfigureAwait(false);
            }
            else
            {
                FileErrors.Guard(path, "append to", () =>
                {
                    using var fs = new FileStream(target, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1);
                    fs.Write(content);
                    fs.Flush(flushToDisk: true);
                });
            }
        }
        return Outcome.Changed(new FileAppendResult(path, content.Length, oldSize + content.Length, existing is null, diff), changed);
    }
}
