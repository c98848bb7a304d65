namespace Resh.Handles.Cache.Redis;

/// <summary>
/// The stream StackExchange.Redis reads from (through <see cref="GuardTunnel"/>): every byte the server sends passes
/// <see cref="RespReplyBudget"/> before the client sees it. A refused reply fails the read (the connection is dead
/// to the client) and is recorded on the <see cref="RedisReplyLimit"/>. Writes pass through.
/// </summary>
internal sealed class RespGuardStream(Stream inner, RedisReplyLimit limit) : Stream
{
    readonly RespReplyBudget _budget = new(limit);

    int Checked(ReadOnlySpan<byte> data)
    {
        if (limit.Refusal is { } already) throw new IOException(already.Message, already);
        try { _budget.Scan(data); }
        catch (CacheReplyException e)
        {
            limit.Refuse(e);
            throw;
        }
        return data.Length;
    }

    public override int Read(byte[] buffer, int offset, int count) => Checked(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));
    public override int Read(Span<byte> buffer) => Checked(buffer[..inner.Read(buffer)]);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Checked(buffer.Span[..n]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
