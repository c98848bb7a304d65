using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileEaList
{
    static readonly Arg<bool> Values = Arg.Bool("values", "Include each attribute's value (getfattr -d).");
    static readonly Arg<string?> Encoding_ = Arg.Enum("encoding", "How to return values: auto (text when it is UTF-8 text, else base64) or base64.", ["auto", "base64"], "auto");

    public static readonly VerbInfo Verb = VerbInfo.Define("ea.list", Effect.Read,
        "List the extended attributes of a path, optionally with their values.",
        [Values, Encoding_, FileEaGet.Follow], () => FileJson.Default.FileEaListResult, Run,
        examples: [new("file:///srv/data.bin.ea.list values=true", "Every attribute this user can see, with values.")],
        notes: "Lists the namespaces the caller can read: user.* always, trusted.* only for root.");

    static Outcome<FileEaListResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var follow = ctx.Get(FileEaGet.Follow);
        FileMetadata.StatOrThrow(path, follow);
        var names = Posix.ListXattr(path, follow, out var errno);
        if (names is null)
        {
            if (errno == Posix.ENOTSUP) return new FileEaListResult(FilePaths.Display(path), [], 0);
            return ExtendedAttributes.Error(errno, path, "*", "list");
        }
        var withValues = ctx.Get(Values);
        var encoding = ctx.Get(Encoding_)!;
        var entries = new List<FileEaEntry>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            if (!withValues)
            {
                entries.Add(new FileEaEntry(name, null, null, null));
                continue;
            }
            var value = Posix.GetXattr(path, name, follow, out var e);
            if (value is null) { if (e != Posix.ENODATA) ctx.Warn($"Cannot read {name}: {Posix.StrError(e)}"); continue; }
            var encoded = ExtendedAttributes.Encode(value, encoding)!.Value;
            entries.Add(new FileEaEntry(name, encoded.Value, encoded.Encoding, value.Length));
        }
        var raw = string.Concat(entries.Select(x => x.Name + "\n"));
        return new Outcome<FileEaListResult>(new FileEaListResult(FilePaths.Display(path), entries, entries.Count), false).WithRaw(RawPayload.FromText(raw, newline: false));
    }
}
