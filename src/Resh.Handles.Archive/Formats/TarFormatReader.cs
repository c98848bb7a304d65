using Resh.Handles.Archive.Formats.Tar;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>tar (v7, ustar, star, GNU, pax) through resh's own lenient <see cref="TarParser"/>, over a decompression stream.</summary>
public sealed class TarFormatReader : ArchiveReader
{
    readonly CountingStream _raw;
    readonly Stream _decoded;
    readonly TarParser _parser;

    public TarFormatReader(string path, Codec codec, Action<long>? progress, Func<ReadOnlySpan<byte>, string>? decodeName = null)
    {
        Format = new ArchiveFormat(Container.Tar, codec);
        _raw = new CountingStream(ArchivePaths.OpenRead(path), progress);
        _decoded = Codecs.OpenRead(_raw, codec, readAhead: true, Warnings);
        _parser = new TarParser(_decoded, Warnings, decodeName);
    }

    public override ArchiveFormat Format { get; }
    public override long ConsumedBytes => _raw.BytesRead;

    public override ArchiveItem? Next() => Current = _parser.Next();

    public override Stream OpenData() => _parser.OpenData();

    public override void Dispose() => _decoded.Dispose();
}
