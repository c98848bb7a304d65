using Resh.Core.Model;
using Resh.Core.Secrets;
using Resh.Handles.Archive.Formats;

namespace Resh.Handles.Archive;

/// <summary>Arguments several archive verbs share (declared once here, listed by each verb).</summary>
public static class ArchiveArgs
{
    public static readonly Arg<string?> Format = Arg.Enum("type", "Archive format; auto detects it from the content (reading) or the file name (writing).",
        ["auto", .. ArchiveFormat.Names], "auto");
    public static readonly Arg<IReadOnlyList<string>> Include = Arg.List("include", "Only entries matching these globs (a pattern without / matches a name at any depth; ** crosses directories).", examples: ["*.conf", "etc/**"]);
    public static readonly Arg<IReadOnlyList<string>> Exclude = Arg.List("exclude", "Leave out entries matching these globs (an excluded directory excludes its content).", examples: ["*.log", ".git"]);
    public static readonly Arg<SecretRef?> Password = Arg.Secret("password", "Password of an encrypted zip or 7z (AES-256 when writing a zip).");
    public static readonly Arg<long?> Level = Arg.Int("level", "Compression level (gzip/xz/bzip2/zip 0-9, zstd 1-19); default: the tool's usual (gzip 6, zstd 3, xz 6).", min: 0, max: 19);
    public static readonly Arg<string?> Encoding = Arg.String("encoding", "Character set of entry names in archives that do not say (old zips and tars): cp437, cp866, cp1251, koi8-r, euc-jp, shift_jis...; default: UTF-8, other bytes kept as they are.",
        examples: ["cp866", "shift_jis"]);
}
