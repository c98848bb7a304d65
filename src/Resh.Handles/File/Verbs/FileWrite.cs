using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileWrite
{
    static readonly Arg<ContentSource?> Content = Arg.Content("content", "The new content: text, @file (its bytes) or @- (standard input); files and stdin are streamed, never held in memory.", required: true,
        examples: ["hello", "@local.conf", "@-"]);
    static readonly Arg<string?> Mode = Arg.String("mode", "Permissions: octal (0644) or symbolic (u=rw,go=r). Default: keep the existing mode; new files get 0666 minus the umask.");
    static readonly Arg<string?> Owner = Arg.String("owner", "Owner (user name or uid). Default: keep the existing owner.");
    static readonly Arg<string?> Group = Arg.String("group", "Group (name or gid). Default: keep the existing group.");
    static readonly Arg<bool> Parents = Arg.Bool("parents", "Create missing parent directories (like mkdir -p).");
    static readonly Arg<bool> Backup = Arg.Bool("backup", "Keep the previous version as PATH.TIMESTAMP~ (a hard link when possible) when the content changes.");
    internal static readonly Arg<bool> Follow = Arg.Bool("follow", "When the path is a symlink, write the file it points to and keep the link (links in sticky world-writable directories are followed only when they belong to you or to the directory's owner); false replaces the link itself with a regular file (install's habit).", true);
    internal static readonly Arg<bool> Force = Arg.Bool("force", "Replace a file you may not write (it becomes yours), where echo > would refuse.");
    internal static readonly Arg<bool> InPlace = Arg.Bool("inplace", "Write through the existing inode instead of replacing it: its other hard links see the change and open handles keep it; not atomic.");

    public static readonly VerbInfo Verb = VerbInfo.Define("write", Effect.Mutate,
        "Replace a file's content atomically (temp file, fsync, rename), keeping its mode, owner, ACLs and extended attributes.",
        [Content, Mode, Owner, Group, Parents, Backup, Follow, Force, InPlace], () => FileJson.Default.FileWriteResult, RunAsync,
        examples:
        [
            new("'file:///tmp/a.txt.write(content=hello)'", "Write `hello` (no newline) to /tmp/a.txt."),
            new("file:///etc/app.conf.write content=@app.conf mode=0640 owner=root group=app backup=true", "Install a config file, keeping the old one."),
            new("file:///tmp/data.bin.write content=@- --dry-run", "Show what writing standard input would change."),
        ],
        notes: "Nothing is written when content, mode and owner already match (`changed: false`). Writing through a symlink replaces the file it points to and keeps the link; " +
               "resh follows the link itself and refuses one that fs.protected_symlinks would refuse (in a sticky world-writable directory, owned by neither you nor the directory's owner), whatever the sysctl says. " +
               "The new file gets the old one's owner, mode, ACLs, extended attributes (security.* where permitted) and inode flags; what cannot be kept is named in a warning. " +
               "Like `echo >`, a file you may not write is `permission_denied` unless force=true; a file you may write in a directory you may not is rewritten in place, with a warning that this is not atomic. " +
               "A file with other hard links is replaced (they keep the old content, with a warning) unless inplace=true. " +
               "`diff` is a unified diff for text, a one-line note for binary or very large content. Content from @file or @- is streamed to the temporary file and compared on the way, in constant memory. " +
               "A process killed mid-write leaves the old content and, at worst, a hidden `.NAME.resh-PID-ID.tmp` sibling.").WithPathConfinement();

    static async ValueTask<Outcome<FileWriteResult>> RunAsync(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        using var content = ctx.Get(Content) ?? ContentSource.FromBytes([]);
        var owner = Ownership.Resolve(ctx.Get(Owner), ctx.Get(Group));
        var modeSpec = ctx.Get(Mode) is { } m ? ModeSpec.Parse(m) : null;
        var small = content.TryBuffer(ContentDiff.MaxDiffInput);
        var newMode = modeSpec?.Apply(0x1B6u & ~FileNative.Umask(), false, FileNative.Umask());

        var parentsCreated = FileParents.Ensure(ctx, path, ctx.Get(Parents));
        if (ctx.DryRun && parentsCreated.Count > 0)
        {
            // The directory does not exist yet: everything would be new.
            long size = small?.Length ?? await Drain(content, ctx.Cancellation).ConfigureAwait(false);
            var newDiff = small is not null ? ContentDiff.Between([], false, small, path) : ContentDiff.TooLarge(path, null, size);
            return Outcome.Changed(new FileWriteResult(FilePaths.Display(path), size, true, true, false, false,
                newMode is { } nm0 ? FileMetadata.OctalMode(nm0) : null, null, parentsCreated.Select(FilePaths.Display).ToList(), newDiff, false));
        }

        using var target = WriteTarget.Open(path, ctx.Get(Follow), "write");
        var existing = target.Existing;
        if (existing is { IsDirectory: true })
            return ReshError.Usage($"{FilePaths.Display(path)} is a directory; write replaces a file's content.", $"Name a file inside it, e.g. file://{FilePaths.Display(path)}/name.write.");
        if (existing is { IsSymlink: true })
        {
            // follow=false: the link itself gives way to a regular file (renamed over it, atomically).
            target.ReplaceLink();
            existing = null;
        }
        if (existing is { } ex && !ex.IsRegular)
            return ReshError.Usage($"{FilePaths.Display(path)} is a {ex.TypeName}, not a regular file.", "write only replaces regular files; delete it first if you mean to.");

        uint? mode = modeSpec?.Apply(existing?.Permissions ?? (0x1B6u & ~FileNative.Umask()), false, FileNative.Umask());
        bool modeChanged = existing is { } e1 && mode is { } nm && nm != e1.Permissions;
        bool ownerChanged = existing is { } e2 && owner.Differs(e2);
        var options = new AtomicRewrite.Options(mode, owner, ctx.Get(Backup), ctx.Get(Force), ctx.Get(InPlace));

        bool contentChanged;
        long length;
        string? diff = null;
        string? backup = null;
        bool inPlace = false;
        if (small is not null)
        {
            length = small.Length;
            var old = existing is null ? null : FileContent.Compare(target, existing.Value, small, ctx.Cancellation);
            contentChanged = existing is null || !old!.Same;
            if (contentChanged) diff = FileContent.Diff(old, small, path);
            if (!ctx.DryRun && contentChanged)
            {
                var w = await AtomicRewrite.WriteAsync(ctx, target, small, options).ConfigureAwait(false);
                (backup, inPlace) = (w.Backup, w.InPlace);
            }
        }
        else
        {
            // Large content: stream it, comparing with the old bytes on the way.
            using var oldHandle = existing is null ? null : target.OpenFile(Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out _);
            var copy = new ComparingCopy(oldHandle, existing?.Size ?? 0);
            if (ctx.DryRun)
            {
                await using var input = content.OpenRead();
                await copy.CopyAsync(input, Stream.Null, ctx.Cancellation).ConfigureAwait(false);
            }
            else
            {
                var w = await AtomicRewrite.WriteAsync(ctx, target, async (output, ct) =>
                {
                    await using var input = content.OpenRead();
                    await copy.CopyAsync(input, output, ct).ConfigureAwait(false);
                }, options with { Unchanged = () => copy.Same }).ConfigureAwait(false);
                (backup, inPlace) = (w.Backup, w.InPlace);
            }
            length = copy.Written;
            contentChanged = !copy.Same;
            if (contentChanged) diff = ContentDiff.TooLarge(path, existing?.Size, length);
        }

        if (!ctx.DryRun && !contentChanged && (modeChanged || ownerChanged))
        {
            // Same bytes: fix metadata in place rather than rewriting the file.
            if (ownerChanged) FileErrors.Check(Posix.FChownAt(target.DirFd, target.Name, owner.UidArg, owner.GidArg, follow: false), path, "change the owner of");
            if (mode is { } nm2) FileErrors.Check(Posix.FChmodAt(target.DirFd, target.Name, nm2, follow: false), path, "set the mode of");
        }
        var after = ctx.DryRun ? null : target.Refresh();
        var result = new FileWriteResult(FilePaths.Display(path), length, existing is null, contentChanged, modeChanged, ownerChanged,
            after is { } a ? FileMetadata.OctalMode(a.Permissions) : mode is { } pm ? FileMetadata.OctalMode(pm) : existing is { } e3 ? FileMetadata.OctalMode(e3.Permissions) : null,
            backup is null ? null : FilePaths.Display(backup), parentsCreated.Select(FilePaths.Display).ToList(), diff, inPlace);
        return Outcome.Changed(result, contentChanged || modeChanged || ownerChanged || parentsCreated.Count > 0);
    }

    static async Task<long> Drain(ContentSource content, CancellationToken ct)
    {
        await using var input = content.OpenRead();
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0) total += n;
        return total;
    }
}
