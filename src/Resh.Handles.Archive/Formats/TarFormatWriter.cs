using Resh.Handles.Archive.Formats.Tar;

namespace Resh.Handles.Archive.Formats;

/// <summary>tar through resh's own <see cref="TarWriter"/> (GNU format by default, as GNU tar writes; pax on request) over a compressor.</summary>
public sealed class TarFormatWriter : ArchiveWriter
{
    readonly Stream _compressed;
    readonly TarWriter _writer;
    bool _finished;

    public TarFormatWriter(Stream file, Codec codec, int? level, CancellationToken ct, TarDialect dialect = TarDialect.Gnu)
    {
        _compressed = Codecs.OpenWrite(file, codec, level, ct);
        _writer = new TarWriter(_compressed, dialect);
    }

    public override void Add(ArchiveItem item, Stream? data) => _writer.Write(item, data);

    public override bool Supports(ItemKind kind) => kind != ItemKind.Other;
    public override bool SupportsSparse => true;
    public override bool SupportsXattrs => true;

    public override void Finish()
    {
        if (_finished) return;
        _finished = true;
        _writer.Finish();
        _compressed.Dispose();
    }

    public override void Dispose()
    {
        if (!_finished) _compressed.Dispose();
        _finished = true;
    }
}
