using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileWrite
{
    static readonly Arg<byte[]?> Content = Arg.Bytes("content", "The new content: text, @file (its bytes) or @- (standard input).", required: true,
        examples: ["hello", "@local.conf", "@-"]);
    static readonly Arg<string?> Mode = Arg.String("mode", "Permissions: octal (0644) or symbolic (u=rw,go=r). Default: keep the existing mode; new files get 0666 minus the umask.");
    static readonly Arg<string?> Owner = Arg.String("owner", "Owner (user name or uid). Default: keep the existing owner.");
    static readonly Arg<string?> Group = Arg.String("group", "Group (name or gid). Default: keep the existing group.");
    static readonly Arg<bool> Parents = Arg.Bool("parents", "Create missing parent directories (like mkdir -p).");
    static readonly Arg<bool> Backup = Arg.Bool("backup", "Keep the previous version as PATH.TIMESTAMP~ (a hard link when possible) when the content changes.");

    public static readonly VerbInfo Verb = VerbInfo.Define("write", Effect.Mutate,
        "Replace a file's content atomically (temp file, fsync, rename), keeping its mode and owner.",
        [Content, Mode, Owner, Group, Parents, Backup], () => FileJson.Default.FileWriteResult, RunAsync,
        examples:
        [
            new("'file:///tmp/a.txt.write(content=hello)'", "Write `hello` (no newline) to /tmp/a.txt."),
            new("file:///etc/app.conf.write content=@app.conf mode=0640 owner=root group=app backup=true", "Install a config file, keeping the old one."),
            new("file:///tmp/data.bin.write content=@- --dry-run", "Show what writing standard input would change."),
        ],
        notes: "Nothing is written when content, mode and owner already match (`changed: false`). Writing through a symlink replaces the file it points to and keeps the link. `diff` is a unified diff for text, a one-line note for binary or very large content. A process killed mid-write leaves the old content and, at worst, a hidden `.NAME.resh-PID-ID.tmp` sibling.");

    static async ValueTask<Outcome<FileWriteResult>> RunAsync(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var content = ctx.Get(Content) ?? [];
        var owner = Ownership.Resolve(ctx.Get(Owner), ctx.Get(Group));
        var modeSpec = ctx.Get(Mode) is { } m ? ModeSpec.Parse(m) : null;

        var target = FilePaths.ContentPath(path);
        var existing = FileMetadata.StatOrNull(target, follow: false);
        if (existing is { IsDirectory: true })
            return ReshError.Usage($"{path} is a directory; write replaces a file's content.", $"Name a file inside it, e.g. file://{path}/name.write.");
        if (existing is { } ex && !ex.IsRegular)
            return ReshError.Usage($"{path} is a {ex.TypeName}, not a regular file.", "write only replaces regular files; delete it first if you mean to.");

        var parentsCreated = FileParents.Ensure(ctx, target, ctx.Get(Parents));
        uint? mode = modeSpec?.Apply(existing?.Permissions ?? (0x1B6u & ~FileNative.Umask()), false, FileNative.Umask());

        var old = existing is null ? null : FileContent.Compare(target, existing.Value, content, ctx.Cancellation);
        bool contentChanged = existing is null || !old!.Same;
        bool modeChanged = existing is { } e1 && mode is { } nm && nm != e1.Permissions;
        bool ownerChanged = existing is { } e2 && owner.Differs(e2);
        string? diff = contentChanged ? FileContent.Diff(old, content, path) : null;

        string? backup = null;
        if (!ctx.DryRun && (contentChanged || modeChanged || ownerChanged))
        {
            if (contentChanged)
            {
                backup = await AtomicRewrite.WriteAsync(ctx, target, content, existing,
                    new AtomicRewrite.Options(mode, owner, ctx.Get(Backup))).ConfigureAwait(false);
            }
            else
            {
                // Same bytes: fix metadata in place rather than rewriting the file.
                owner.Apply(target, follow: true);
                if (mode is { } nm2) FileErrors.Check(FileNative.Chmod(target, nm2), path, "set the mode of");
            }
        }
        var after = ctx.DryRun ? null : Posix.Stat(target, true, out _);
        var result = new FileWriteResult(path, content.Length, existing is null, contentChanged, modeChanged, ownerChanged,
            after is { } a ? FileMetadata.OctalMode(a.Permissions) : mode is { } pm ? FileMetadata.OctalMode(pm) : existing is { } e3 ? FileMetadata.OctalMode(e3.Permissions) : null,
            backup, parentsCreated, diff);
        return Outcome.Changed(result, contentChanged || modeChanged || ownerChanged || parentsCreated.Count > 0);
    }
}
