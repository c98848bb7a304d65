using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Resh.Handles.Storage;

/// <summary>
/// Reads <c>inner</c> (typically a decompressor) on a thread of its own, a few 1 MiB chunks ahead of the
/// reader, so decompression overlaps with whatever the reader does with the bytes (writing files), as
/// `tar -xz` gets from running gzip in another process. Memory is bounded (depth x chunk); an error in
/// the inner stream is rethrown, with its type, at the reader's next read; only the reading thread
/// touches <c>inner</c> until disposal.
/// </summary>
public sealed class ReadAheadStream : ForwardReadStream
{
    const int ChunkSize = 1 << 20;
    readonly Stream _inner;
    readonly BlockingCollection<(byte[] Buffer, int Count)> _full;
    readonly ConcurrentBag<byte[]> _free = [];
    readonly CancellationTokenSource _stop = new();
    readonly Thread _thread;
    ExceptionDispatchInfo? _error;
    byte[]? _current;
    int _pos, _count;
    bool _done, _disposed;

    public ReadAheadStream(Stream inner, int depth = 3)
    {
        _inner = inner;
        _full = new BlockingCollection<(byte[], int)>(depth);
        _thread = new Thread(Produce) { IsBackground = true, Name = "resh read-ahead" };
        _thread.Start();
    }

    void Produce()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var buffer = _free.TryTake(out var b) ? b : GC.AllocateUninitializedArray<byte>(ChunkSize);
                var n = _inner.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                if (n == 0) break;
                _full.Add((buffer, n), _stop.Token);
                if (n < buffer.Length) break; // the inner stream ended
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (Exception ex) { _error = ExceptionDispatchInfo.Capture(ex); }
        finally { _full.CompleteAdding(); }
    }

    public override bool CanRead => !_disposed;

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length == 0) return 0;
        if (_pos == _count && !Next()) return 0;
        var n = Math.Min(buffer.Length, _count - _pos);
        _current.AsSpan(_pos, n).CopyTo(buffer);
        _pos += n;
        return n;
    }

    bool Next()
    {
        if (_done) return false;
        if (_current is not null) _free.Add(_current);
        _current = null;
        _pos = _count = 0;
        if (_full.TryTake(out var chunk, Timeout.Infinite))
        {
            (_current, _count) = chunk;
            return true;
        }
        _done = true;
        _error?.Throw();
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        if (disposing)
        {
            _stop.Cancel();
            _thread.Join();
            _full.Dispose();
            _stop.Dispose();
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
