using System.Text;
using Resh.Core.Errors;
using Resh.Core.Text;

namespace Resh.Handles.Archive.Formats;

/// <summary>Opens an existing archive with the right reader, from its content (or an explicit format).</summary>
public static class ArchiveOpener
{
    public static ArchiveReader Open(string path, string? formatName, string? password, Action<long>? progress, string? encoding = null)
    {
        var st = ArchivePaths.Stat(path, follow: true);
        if (st is null)
            throw ReshError.NotFound($"{PathBytes.Display(path)} does not exist.", "Check the archive path.", new System.Text.Json.Nodes.JsonObject { ["path"] = PathBytes.Display(path) }).ToException();
        if (!st.Value.IsRegular)
            throw ReshError.Usage($"{PathBytes.Display(path)} is not a regular file.", "Name the archive file.").ToException();
        var decode = NameDecoder(encoding);
        var format = formatName is null or "auto" ? ArchiveFormat.Detect(path) : ArchiveFormat.Parse(formatName);
        try
        {
            return format.Container switch
            {
                Container.Tar => new TarFormatReader(path, format.Codec, progress, decode),
                Container.Zip => new ZipFormatReader(path, password, progress, decode),
                Container.SevenZip => new SevenZipReader(path, password, progress),
                _ => throw ReshError.Usage($"{PathBytes.Display(path)} is a single compressed stream ({format.Name}), not an archive of entries.",
                    $"Use decompress: resh archive://{PathBytes.Display(path)}.decompress").ToException(),
            };
        }
        catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex))
        {
            throw ArchiveErrors.Translate(ex, path, null).ToException();
        }
    }

    /// <summary>
    /// How names without a charset of their own are decoded: by default as UTF-8 with other bytes kept
    /// exactly (so they reach the file system unchanged); with encoding= (cp437, cp866, koi8-r, euc-jp,
    /// shift_jis...) through that code page.
    /// </summary>
    public static Func<ReadOnlySpan<byte>, string>? NameDecoder(string? encoding)
    {
        if (string.IsNullOrEmpty(encoding) || encoding is "auto" or "utf-8" or "utf8") return null;
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        Encoding enc;
        try { enc = Encoding.GetEncoding(encoding.ToLowerInvariant() switch { "cp932" => "shift_jis", "cp936" => "gb2312", var e => e }); }
        catch (ArgumentException)
        {
            throw ReshError.Usage($"Unknown encoding `{encoding}`.", "Use a code page name such as cp437, cp866, cp1251, koi8-r, iso-8859-1, euc-jp, shift_jis, gb2312 or big5.").ToException();
        }
        return b => enc.GetString(b);
    }
}
