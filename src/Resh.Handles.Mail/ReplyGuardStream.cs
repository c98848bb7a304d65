using System.Diagnostics;

namespace Resh.Handles.Mail;

/// <summary>The server sent more than a reply may hold (an endless multi-line reply, a literal far beyond its message).</summary>
internal sealed class ReplyTooLargeException(long limit) : IOException($"the server sent more than {limit} bytes in answer to one command")
{
    public long Limit { get; } = limit;
}

/// <summary>
/// The socket under MailKit (and under its TLS): every command resh writes starts a new reply budget, in bytes
/// (<see cref="MaxReply"/>) and in time (the call's timeout, as one deadline for the whole reply, not per read), so a
/// hostile server can neither make resh hold gigabytes nor keep one command going forever by trickling bytes.
/// </summary>
internal sealed class ReplyGuardStream(Stream inner, TimeSpan timeout) : Stream
{
    long _received;
    long _deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Every byte the server has sent on this connection (0: not even a greeting yet).</summary>
    public long TotalReceived { get; private set; }

    /// <summary>Largest reply to one command, in bytes on the wire.</summary>
    public long MaxReply { get; set; } = 1 << 20;

    void Restart()
    {
        _received = 0;
        _deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
    }

    TimeSpan Left()
    {
        var left = TimeSpan.FromSeconds((double)(_deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
        if (left <= TimeSpan.Zero) throw new TimeoutException($"the server did not finish its answer within {timeout.TotalSeconds:0.###} s");
        return left;
    }

    int Count(int n)
    {
        _received += n;
        TotalReceived += n;
        if (_received > MaxReply) throw new ReplyTooLargeException(MaxReply);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        Left();
        return Count(inner.Read(buffer, offset, count));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Left());
        try
        {
            return Count(await inner.ReadAsync(buffer, cts.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the server did not finish its answer within {timeout.TotalSeconds:0.###} s");
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Restart();
        inner.Write(buffer, offset, count);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Restart();
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override bool CanTimeout => inner.CanTimeout;
    public override int ReadTimeout { get => inner.ReadTimeout; set => inner.ReadTimeout = value; }
    public override int WriteTimeout { get => inner.WriteTimeout; set => inner.WriteTimeout = value; }
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
