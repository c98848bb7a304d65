using Resh.Core.Errors;

namespace Resh.Handles.Archive.Formats;

/// <summary>Opens an existing archive with the right reader, from its content (or an explicit format).</summary>
public static class ArchiveOpener
{
    public static ArchiveReader Open(string path, string? formatName, string? password, Action<long>? progress)
    {
        if (!System.IO.File.Exists(path))
            throw ReshError.NotFound($"{path} does not exist.", "Check the archive path.", new System.Text.Json.Nodes.JsonObject { ["path"] = path }).ToException();
        var format = formatName is null or "auto" ? ArchiveFormat.Detect(path) : ArchiveFormat.Parse(formatName);
        return format.Container switch
        {
            Container.Tar => new TarFormatReader(path, format.Codec, progress),
            Container.Zip => EncryptedZipReader.IsEncrypted(path) ? new EncryptedZipReader(path, password, progress) : new ZipFormatReader(path, progress),
            Container.SevenZip => new SevenZipReader(path, password, progress),
            _ => throw ReshError.Usage($"{path} is a single compressed stream ({format.Name}), not an archive of entries.",
                $"Use decompress: resh archive://{path}.decompress").ToException(),
        };
    }
}
