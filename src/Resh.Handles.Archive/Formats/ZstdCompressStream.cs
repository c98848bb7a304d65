using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>
/// A write-only stream that compresses into <c>output</c> with the system libzstd (one frame, with a
/// checksum, as the zstd tool writes). Writes are handed to zstd without copying; compressed bytes
/// leave through a 1 MiB buffer. Disposing ends the frame and closes the output unless leaveOpen.
/// </summary>
internal sealed unsafe class ZstdCompressStream : ForwardWriteStream
{
    const int OutputSize = 1 << 20;
    readonly Stream _output;
    readonly bool _leaveOpen;
    readonly LibZstd.CCtxHandle _cctx;
    readonly byte[] _out = GC.AllocateUninitializedArray<byte>(OutputSize, pinned: true);
    int _outPos;
    bool _finished, _disposed;

    /// <param name="workers">Compression threads besides the caller's (0: compress on the writing thread).
    /// The output stays standard zstd either way; a library built without threads ignores it.</param>
    public ZstdCompressStream(Stream output, int level, int workers, bool leaveOpen)
    {
        _output = output;
        _leaveOpen = leaveOpen;
        _cctx = LibZstd.CreateCCtx();
        if (_cctx.IsInvalid) throw new OutOfMemoryException("zstd could not allocate a compression context.");
        Check(LibZstd.SetParameter(_cctx, LibZstd.CompressionLevel, level));
        Check(LibZstd.SetParameter(_cctx, LibZstd.ChecksumFlag, 1));
        if (workers > 0) LibZstd.SetParameter(_cctx, LibZstd.NbWorkers, workers); // an error here only means no thread support
    }

    public override bool CanWrite => !_disposed;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished) throw new InvalidOperationException("The zstd frame is already finished.");
        fixed (byte* src = buffer)
        {
            var input = new LibZstd.InBuffer { Src = src, Size = (nuint)buffer.Length, Pos = 0 };
            while (input.Pos < input.Size) Step(&input, LibZstd.EndContinue);
        }
    }

    /// <summary>Pushes everything written so far out as complete blocks (costs ratio; nothing here calls it per entry).</summary>
    public override void Flush()
    {
        if (_disposed || _finished) return;
        Drain(LibZstd.EndFlush);
        _output.Flush();
    }

    /// <summary>Ends the frame (epilogue and checksum) and writes out what is left.</summary>
    public void Finish()
    {
        if (_finished) return;
        Drain(LibZstd.EndFrame);
        _finished = true;
        _output.Flush();
    }

    void Drain(int directive)
    {
        var empty = new LibZstd.InBuffer();
        nuint remaining;
        do remaining = Step(&empty, directive);
        while (remaining != 0);
        WriteOut();
    }

    /// <summary>One compressStream2 call; the output buffer is emptied into the stream when full.</summary>
    nuint Step(LibZstd.InBuffer* input, int directive)
    {
        nuint rc;
        fixed (byte* dst = _out)
        {
            var output = new LibZstd.OutBuffer { Dst = dst, Size = OutputSize, Pos = (nuint)_outPos };
            rc = LibZstd.CompressStream2(_cctx, &output, input, directive);
            _outPos = (int)output.Pos;
        }
        Check(rc);
        if (_outPos == OutputSize) WriteOut();
        return rc;
    }

    void WriteOut()
    {
        if (_outPos == 0) return;
        _output.Write(_out, 0, _outPos);
        _outPos = 0;
    }

    static void Check(nuint rc)
    {
        if (LibZstd.Error(rc) is { } error) throw new IOException($"zstd compression failed: {error}.");
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        try
        {
            if (disposing) Finish();
        }
        finally
        {
            _disposed = true;
            _cctx.Dispose();
            if (disposing && !_leaveOpen) _output.Dispose();
            base.Dispose(disposing);
        }
    }
}
