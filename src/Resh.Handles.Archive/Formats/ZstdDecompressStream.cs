using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>
/// A read-only stream that decompresses <c>input</c> with the system libzstd: concatenated and
/// skippable frames as the zstd tool reads them, checksums verified, and a stream that ends inside a
/// frame is an error (<see cref="InvalidDataException"/>, as corrupt data is), never a short read.
/// </summary>
internal sealed unsafe class ZstdDecompressStream : ForwardReadStream
{
    const int InputSize = 1 << 20;
    readonly Stream _input;
    readonly bool _leaveOpen;
    readonly LibZstd.DCtxHandle _dctx;
    readonly byte[] _in = GC.AllocateUninitializedArray<byte>(InputSize, pinned: true);
    int _inPos, _inLen;
    bool _eof, _sawInput, _frameDone = true, _disposed;

    public ZstdDecompressStream(Stream input, bool leaveOpen)
    {
        _input = input;
        _leaveOpen = leaveOpen;
        _dctx = LibZstd.CreateDCtx();
        if (_dctx.IsInvalid) throw new OutOfMemoryException("zstd could not allocate a decompression context.");
    }

    public override bool CanRead => !_disposed;

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length == 0) return 0;
        fixed (byte* dst = buffer)
        fixed (byte* src = _in)
        {
            var output = new LibZstd.OutBuffer { Dst = dst, Size = (nuint)buffer.Length, Pos = 0 };
            while (true)
            {
                // Decode what is buffered first: the context may still hold output from the last call.
                var input = new LibZstd.InBuffer { Src = src, Size = (nuint)_inLen, Pos = (nuint)_inPos };
                var before = (input.Pos, output.Pos);
                var rc = LibZstd.DecompressStream(_dctx, &output, &input);
                if (LibZstd.Error(rc) is { } error) throw new InvalidDataException($"zstd: {error}.");
                _inPos = (int)input.Pos;
                var progressed = (input.Pos, output.Pos) != before;
                // 0 means a frame ended and everything in it was handed out; a call without progress
                // (at a frame boundary, with nothing buffered) says nothing new.
                if (progressed) _frameDone = rc == 0;
                if (output.Pos == output.Size) return buffer.Length;
                if (_inPos < _inLen)
                {
                    if (!progressed) throw new InvalidDataException("zstd: the decoder made no progress.");
                    continue;
                }
                if (output.Pos > 0) return (int)output.Pos;
                if (_eof)
                {
                    if (_sawInput && !_frameDone) throw new InvalidDataException("zstd: the stream ends inside a frame (truncated).");
                    return 0;
                }
                _inLen = _input.Read(_in, 0, InputSize);
                _inPos = 0;
                if (_inLen == 0) _eof = true;
                else _sawInput = true;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        _dctx.Dispose();
        if (disposing && !_leaveOpen) _input.Dispose();
        base.Dispose(disposing);
    }
}
