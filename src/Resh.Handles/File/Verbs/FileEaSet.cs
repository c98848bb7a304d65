using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileEaSet
{
    static readonly Arg<string?> Name = Arg.String("name", "Attribute name; without a namespace it means user.NAME.", required: true, examples: ["user.comment", "comment"]);
    static readonly Arg<byte[]?> Value = Arg.Bytes("value", "The value: text, @file or @- (raw bytes); with encoding=base64, base64 text.", required: true);
    static readonly Arg<string?> Encoding_ = Arg.Enum("encoding", "How `value` is written: text (its bytes as given) or base64.", ["text", "base64"], "text");

    public static readonly VerbInfo Verb = VerbInfo.Define("ea.set", Effect.Mutate,
        "Set an extended attribute; unchanged when it already has that value.",
        [Name, Value, Encoding_, FileEaGet.Follow], () => FileJson.Default.FileEaSetResult, Run,
        examples:
        [
            new("file:///srv/data.bin.ea.set name=user.owner-team value=storage", "Tag a file."),
            new("file:///srv/data.bin.ea.set name=user.blob value=AAEC encoding=base64", "Store binary bytes."),
        ]);

    static Outcome<FileEaSetResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var name = ExtendedAttributes.FullName(ctx.Get(Name)!);
        var follow = ctx.Get(FileEaGet.Follow);
        var raw = ctx.Get(Value) ?? [];
        byte[] value;
        if (ctx.Get(Encoding_) == "base64")
        {
            try { value = Convert.FromBase64String(System.Text.Encoding.ASCII.GetString(raw).Trim()); }
            catch (FormatException) { return ReshError.Usage("`value` is not valid base64.", "Give base64 text, or use encoding=text."); }
        }
        else value = raw;

        // Resolved like write and chmod (SafePath: a symlink planted in a sticky world-writable directory by
        // another user is refused), then set through an O_PATH|O_NOFOLLOW descriptor of what was reached
        // (by /proc/self/fd/N, so neither read access nor opening a device is needed).
        using var target = WriteTarget.Open(path, follow, "set an attribute on");
        var st = target.Existing ?? throw FileMetadata.NotFound(path).ToException();
        int fd = -1;
        if (!st.IsSymlink)
        {
            fd = Posix.OpenAt(target.DirFd, target.Name, Posix.O_PATH | Posix.O_NOFOLLOW);
            if (fd < 0) return ExtendedAttributes.Error(-fd, path, name, "set");
            if (Posix.FStat(fd, out _) is not { } opened || opened.Inode != st.Inode || opened.DevMajor != st.DevMajor || opened.DevMinor != st.DevMinor)
            {
                Posix.Close(fd);
                return ExtendedAttributes.Error(Posix.ELOOP, path, name, "set");
            }
        }
        try
        {
            // A link itself (follow=false): the l* calls on the name resolved through descriptors.
            var at = fd >= 0 ? $"/proc/self/fd/{fd}" : target.FullPath;
            var current = Posix.GetXattr(at, name, fd >= 0, out var errno);
            if (current is null && errno != Posix.ENODATA) return ExtendedAttributes.Error(errno, path, name, "read");
            if (current is not null && current.AsSpan().SequenceEqual(value))
                return new FileEaSetResult(FilePaths.Display(path), name, false, value.Length);
            if (!ctx.DryRun)
            {
                var rc = Posix.SetXattr(at, name, value, fd >= 0);
                if (rc != 0) return ExtendedAttributes.Error(rc, path, name, "set");
            }
            return Outcome.Changed(new FileEaSetResult(FilePaths.Display(path), name, current is null, value.Length));
        }
        finally { Posix.Close(fd); }
    }
}
