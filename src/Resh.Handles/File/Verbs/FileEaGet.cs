using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileEaGet
{
    internal static readonly Arg<bool> Follow = Arg.Bool("follow", "Act on what a symlink points to (false: the link itself, getfattr -h).", true);

    static readonly Arg<string?> Name = Arg.String("name", "Attribute name; without a namespace it means user.NAME.", required: true, examples: ["user.comment", "comment"]);
    static readonly Arg<string?> Encoding_ = Arg.Enum("encoding", "How to return the value: auto (text when it is UTF-8 text, else base64), text, base64.", ["auto", "text", "base64"], "auto");

    public static readonly VerbInfo Verb = VerbInfo.Define("ea.get", Effect.Read,
        "Read one extended attribute (absent attributes are `exists: false`).",
        [Name, Encoding_, Follow], () => FileJson.Default.FileEaGetResult, Run,
        examples:
        [
            new("file:///srv/data.bin.ea.get name=user.checksum", "Read user.checksum."),
            new("file:///srv/data.bin.ea.get name=checksum --format raw", "Just the value's bytes."),
        ]);

    static Outcome<FileEaGetResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var name = ExtendedAttributes.FullName(ctx.Get(Name)!);
        var follow = ctx.Get(Follow);
        FileMetadata.StatOrThrow(path, follow);
        var value = Posix.GetXattr(path, name, follow, out var errno);
        if (value is null)
        {
            if (errno == Posix.ENODATA) return new FileEaGetResult(FilePaths.Display(path), name, false, null, null, null);
            return ExtendedAttributes.Error(errno, path, name, "read");
        }
        if (ExtendedAttributes.Encode(value, ctx.Get(Encoding_)!) is not { } encoded)
            return ReshError.Failed($"The value of `{name}` is binary, not UTF-8 text.", "Read it with encoding=base64 or encoding=auto.");
        return new Outcome<FileEaGetResult>(new FileEaGetResult(FilePaths.Display(path), name, true, encoded.Value, encoded.Encoding, value.Length), false)
            .WithRaw(RawPayload.FromBytes(value));
    }
}
