namespace Resh.Handles.Storage;

/// <summary>
/// A stream read once from start to end (a decompressor, a read-ahead pipe): no seeking, no length,
/// no writing. A subclass says when it can be read and implements <see cref="Stream.Read(Span{byte})"/>.
/// </summary>
public abstract class ForwardReadStream : Stream
{
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public abstract override int Read(Span<byte> buffer);
}

/// <summary>
/// A stream written once from start to end (a compressor, a write-behind pipe): no seeking, no length,
/// no reading. A subclass says when it can be written and implements
/// <see cref="Stream.Write(ReadOnlySpan{byte})"/> and <see cref="Stream.Flush"/>.
/// </summary>
public abstract class ForwardWriteStream : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public abstract override void Write(ReadOnlySpan<byte> buffer);
}
