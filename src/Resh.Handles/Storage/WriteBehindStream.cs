using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Resh.Handles.Storage;

/// <summary>
/// Hands what is written here to <c>inner</c> (typically a compressor) on a thread of its own, through a
/// bounded queue of 1 MiB chunks, so compression overlaps with reading the source files, as `tar -cz`
/// gets from running gzip in another process. <see cref="Complete"/> (or disposal) waits for the
/// thread and disposes <c>inner</c>; an error there is rethrown, with its type, to the writer.
/// </summary>
public sealed class WriteBehindStream : ForwardWriteStream
{
    const int ChunkSize = 1 << 20;
    readonly Stream _inner;
    readonly BlockingCollection<(byte[] Buffer, int Count)> _full;
    readonly ConcurrentBag<byte[]> _free = [];
    readonly CancellationTokenSource _failed = new();
    readonly Thread _thread;
    ExceptionDispatchInfo? _error;
    byte[] _current = GC.AllocateUninitializedArray<byte>(ChunkSize);
    int _count;
    bool _completed, _disposed;

    public WriteBehindStream(Stream inner, int depth = 3)
    {
        _inner = inner;
        _full = new BlockingCollection<(byte[], int)>(depth);
        _thread = new Thread(Consume) { IsBackground = true, Name = "resh write-behind" };
        _thread.Start();
    }

    void Consume()
    {
        try
        {
            foreach (var (buffer, count) in _full.GetConsumingEnumerable())
            {
                _inner.Write(buffer, 0, count);
                _free.Add(buffer);
            }
            _inner.Dispose(); // ends the compressed stream (trailer, checksum) on this thread too
        }
        catch (Exception ex)
        {
            _error = ExceptionDispatchInfo.Capture(ex);
            _failed.Cancel(); // unblocks a writer waiting for room
        }
    }

    public override bool CanWrite => !_completed;
    /// <summary>Chunks move on when full; <see cref="Complete"/> sends the rest.</summary>
    public override void Flush() { }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, ChunkSize - _count);
            buffer[..n].CopyTo(_current.AsSpan(_count));
            _count += n;
            buffer = buffer[n..];
            if (_count == ChunkSize) Send();
        }
    }

    void Send()
    {
        try { _full.Add((_current, _count), _failed.Token); }
        catch (OperationCanceledException) { _error?.Throw(); throw; }
        _current = _free.TryTake(out var b) ? b : GC.AllocateUninitializedArray<byte>(ChunkSize);
        _count = 0;
    }

    /// <summary>Sends what is buffered, waits until <c>inner</c> has taken everything and is disposed, and rethrows its error.</summary>
    public void Complete()
    {
        if (_completed) return;
        if (_count > 0 && _error is null) Send();
        _completed = true;
        _full.CompleteAdding();
        _thread.Join();
        _error?.Throw();
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        if (disposing)
        {
            try { Complete(); }
            finally
            {
                _full.Dispose();
                _failed.Dispose();
            }
        }
        base.Dispose(disposing);
    }
}
