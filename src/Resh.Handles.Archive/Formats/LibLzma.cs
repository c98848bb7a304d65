using System.Runtime.InteropServices;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>
/// The system xz library (liblzma.so.5: dpkg depends on it), decoding as `xz -dc` does: concatenated
/// streams and stream padding. <see cref="Available"/> is false when it cannot be loaded; callers then
/// fall back to SharpCompress.
/// </summary>
internal static unsafe partial class LibLzma
{
    const string Lib = "liblzma.so.5";
    public const int LZMA_OK = 0, LZMA_STREAM_END = 1, LZMA_RUN = 0, LZMA_FINISH = 3;
    public const uint LZMA_CONCATENATED = 0x08;

    public static bool Available { get; } = NativeLibrary.TryLoad(Lib, out _);

    [LibraryImport(Lib, EntryPoint = "lzma_stream_decoder")] public static partial int StreamDecoder(byte* strm, ulong memlimit, uint flags);
    [LibraryImport(Lib, EntryPoint = "lzma_alone_decoder")] public static partial int AloneDecoder(byte* strm, ulong memlimit);
    [LibraryImport(Lib, EntryPoint = "lzma_code")] public static partial int Code(byte* strm, int action);
    [LibraryImport(Lib, EntryPoint = "lzma_end")] public static partial void End(byte* strm);

    // lzma_stream on LP64: next_in 0, avail_in 8, total_in 16, next_out 24, avail_out 32, total_out 40, then
    // allocator, internal, 4 reserved pointers and reserved integers: 136 bytes; LZMA_STREAM_INIT is all zeros.
    public const int StreamSize = 256, NextIn = 0, AvailIn = 8, NextOut = 24, AvailOut = 32;

    public static string Describe(int rc) => rc switch
    {
        5 => "xz ran out of memory",
        6 => "the xz data needs more memory than allowed",
        7 => "this is not an xz stream",
        8 => "the xz stream uses options this xz library does not support",
        9 => "the xz data is corrupt",
        10 => "the xz stream ends early (truncated)",
        _ => $"xz error {rc}",
    };
}

/// <summary>A read-only stream decoding .xz (or legacy .lzma) with liblzma.</summary>
internal sealed unsafe class XzDecompressStream : ForwardReadStream
{
    const int InputSize = 1 << 18;
    readonly Stream _input;
    readonly byte[] _in = GC.AllocateUninitializedArray<byte>(InputSize, pinned: true);
    readonly byte* _strm = (byte*)NativeMemory.AllocZeroed(LibLzma.StreamSize);
    int _inPos, _inLen;
    bool _eof, _finished, _disposed;

    public XzDecompressStream(Stream input, bool legacyLzma = false)
    {
        _input = input;
        var rc = legacyLzma ? LibLzma.AloneDecoder(_strm, ulong.MaxValue) : LibLzma.StreamDecoder(_strm, ulong.MaxValue, LibLzma.LZMA_CONCATENATED);
        if (rc != LibLzma.LZMA_OK)
        {
            NativeMemory.Free(_strm);
            _disposed = true;
            throw new ArchiveCorruptException(LibLzma.Describe(rc));
        }
    }

    public override bool CanRead => !_disposed;

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length == 0 || _finished) return 0;
        fixed (byte* dst = buffer)
        fixed (byte* src = _in)
        {
            while (true)
            {
                if (_inPos == _inLen && !_eof)
                {
                    _inLen = _input.Read(_in, 0, InputSize);
                    _inPos = 0;
                    if (_inLen == 0) _eof = true;
                }
                *(byte**)(_strm + LibLzma.NextIn) = src + _inPos;
                *(nuint*)(_strm + LibLzma.AvailIn) = (nuint)(_inLen - _inPos);
                *(byte**)(_strm + LibLzma.NextOut) = dst;
                *(nuint*)(_strm + LibLzma.AvailOut) = (nuint)buffer.Length;
                var rc = LibLzma.Code(_strm, _eof ? LibLzma.LZMA_FINISH : LibLzma.LZMA_RUN);
                _inPos = _inLen - (int)*(nuint*)(_strm + LibLzma.AvailIn);
                var produced = buffer.Length - (int)*(nuint*)(_strm + LibLzma.AvailOut);
                if (rc == LibLzma.LZMA_STREAM_END) { _finished = true; return produced; }
                if (rc != LibLzma.LZMA_OK) throw new ArchiveCorruptException(LibLzma.Describe(rc));
                if (produced > 0) return produced;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        LibLzma.End(_strm);
        NativeMemory.Free(_strm);
        if (disposing) _input.Dispose();
        base.Dispose(disposing);
    }
}
