using System.Text;

namespace Resh.Core.Model;

/// <summary>
/// The value of a content argument (<see cref="Arg.Content"/>): bytes given inline, or a file or
/// standard input read as a stream, so a verb can copy 300 MB from <c>content=@big.img</c> to its
/// destination in constant memory. Small content is buffered on demand (<see cref="TryBuffer"/>) for
/// comparisons and diffs; the stream can be opened once.
/// </summary>
public sealed class ContentSource : IDisposable
{
    byte[]? _bytes;
    byte[]? _prefix;
    Stream? _stream;
    bool _opened;

    ContentSource() { }

    /// <summary>Where the bytes come from, for messages: "inline", "@path" or "@-".</summary>
    public string Origin { get; private init; } = "inline";

    /// <summary>The size when known before reading (inline bytes, a regular file).</summary>
    public long? Length { get; private set; }

    public static ContentSource FromBytes(byte[] bytes) => new() { _bytes = bytes, Length = bytes.Length };

    /// <summary>A stream read once; <paramref name="length"/> when known (a regular file's size).</summary>
    public static ContentSource FromStream(Stream stream, long? length, string origin) => new() { _stream = stream, Length = length, Origin = origin };

    /// <summary>The whole content when it is at most <paramref name="max"/> bytes (read and kept), else null: then
    /// the bytes read so far stay in front of what <see cref="OpenRead"/> returns.</summary>
    public byte[]? TryBuffer(int max)
    {
        if (_bytes is not null) return _bytes.Length <= max ? _bytes : null;
        if (_opened) throw new InvalidOperationException("The content stream was already opened.");
        if (_prefix is not null) return null;
        if (Length is { } known && known > max) return null;
        var buffer = new byte[Math.Min(max + 1, (int)Math.Min(Length ?? 64 * 1024, max) + 1)];
        int total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (buffer.Length > max) break;
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, max + 1L));
            }
            var n = _stream!.Read(buffer, total, buffer.Length - total);
            if (n == 0)
            {
                _bytes = buffer.AsSpan(0, total).ToArray();
                Length = total;
                _stream.Dispose();
                _stream = null;
                return _bytes;
            }
            total += n;
        }
        _prefix = buffer;
        return null;
    }

    /// <summary>The bytes as a stream, from the start; once.</summary>
    public Stream OpenRead()
    {
        if (_bytes is not null) return new MemoryStream(_bytes, writable: false);
        if (_opened) throw new InvalidOperationException("The content stream was already opened.");
        _opened = true;
        return _prefix is null ? _stream! : new PrefixedStream(_prefix, _stream!);
    }

    /// <summary>Everything in memory (for verbs that need the whole value; refuses more than <paramref name="max"/> bytes).</summary>
    public byte[] ReadAll(int max = int.MaxValue - 64)
    {
        var all = TryBuffer(max);
        if (all is null) throw new ArgValueException($"The content ({Origin}) is larger than {max} bytes, too large to hold in memory.", "Stream it with a verb that takes content=@file, or split it.");
        return all;
    }

    /// <summary>The content as UTF-8 text.</summary>
    public string ReadText(int max = 64 << 20) => Encoding.UTF8.GetString(ReadAll(max));

    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
    }

    /// <summary>The bytes read while sizing the content, then the rest of the stream.</summary>
    sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
    {
        int _pos;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_pos < prefix.Length)
            {
                var n = Math.Min(buffer.Length, prefix.Length - _pos);
                prefix.AsSpan(_pos, n).CopyTo(buffer);
                _pos += n;
                return n;
            }
            return rest.Read(buffer);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _pos < prefix.Length ? ValueTask.FromResult(Read(buffer.Span)) : rest.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing) rest.Dispose();
            base.Dispose(disposing);
        }
    }
}
