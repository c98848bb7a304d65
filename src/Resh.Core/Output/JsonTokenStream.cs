using System.Buffers;
using System.Text.Json;

namespace Resh.Core.Output;

/// <summary>Receives the tokens of a <see cref="JsonTokenStream"/> one at a time, in document order.</summary>
internal interface IJsonTokenVisitor
{
    /// <param name="reader">Positioned on the token.</param>
    /// <param name="start">Stream offset of the token's first byte.</param>
    /// <param name="end">Stream offset just past the token.</param>
    void Token(ref Utf8JsonReader reader, long start, long end);

    /// <summary>The document ended (called once, after its last token).</summary>
    void Complete();
}

/// <summary>
/// A sink for JSON as a <see cref="Utf8JsonWriter"/> produces it that reads the tokens back while the
/// document is still being written (every 64 KiB), so a format that reshapes the JSON (ndjson lines,
/// YAML) can print a result of any size with the memory of one chunk and the item being captured.
/// Offsets are from the start of the stream; <see cref="Pin"/> keeps the bytes from an offset on
/// so a visitor can copy a whole value (<see cref="Slice"/>) once its last token has been read.
/// </summary>
internal sealed class JsonTokenStream(IJsonTokenVisitor visitor, int scanEvery = 1 << 16) : IBufferWriter<byte>
{
    // The writer's own limit (JsonWriterOptions.MaxDepth defaults to 1000): whatever it wrote can be read back.
    static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 1024 };

    byte[] _buf = new byte[scanEvery * 2];
    int _len;        // bytes held
    int _scanned;    // bytes the reader has gone past
    long _origin;    // stream offset of _buf[0]
    long _pin = -1;  // stream offset to keep bytes from, or -1
    JsonReaderState _state = new(ReaderOptions);

    public void Advance(int count)
    {
        _len += count;
        if (_len - _scanned >= scanEvery) Scan(final: false);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buf.AsMemory(_len);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buf.AsSpan(_len);
    }

    void Reserve(int sizeHint)
    {
        var need = Math.Max(sizeHint, 256);
        if (_buf.Length - _len < need) Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _len + need));
    }

    /// <summary>Reads what is left; the document must be whole.</summary>
    public void Complete()
    {
        Scan(final: true);
        visitor.Complete();
    }

    /// <summary>Keeps the bytes from <paramref name="offset"/> on until <see cref="Unpin"/>.</summary>
    public void Pin(long offset) => _pin = offset;

    public void Unpin() => _pin = -1;

    /// <summary>Bytes between two stream offsets at or after the pin (valid until the next token).</summary>
    public ReadOnlySpan<byte> Slice(long from, long to) => _buf.AsSpan((int)(from - _origin), (int)(to - from));

    void Scan(bool final)
    {
        var reader = new Utf8JsonReader(_buf.AsSpan(_scanned, _len - _scanned), final, _state);
        var at = _origin + _scanned;
        while (reader.Read()) visitor.Token(ref reader, at + reader.TokenStartIndex, at + reader.BytesConsumed);
        _scanned += (int)reader.BytesConsumed;
        _state = reader.CurrentState;

        // Drop what was read, but for a pinned value still being captured.
        var keep = _pin >= 0 ? (int)(_pin - _origin) : _scanned;
        if (keep <= 0) return;
        Buffer.BlockCopy(_buf, keep, _buf, 0, _len - keep);
        _len -= keep;
        _scanned -= keep;
        _origin += keep;
        // A big pinned value grew the buffer; give that back once it is gone.
        if (_buf.Length > scanEvery * 4 && _len < scanEvery) Array.Resize(ref _buf, scanEvery * 2);
    }
}
