using System.Runtime.InteropServices;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>
/// The system bzip2 library (libbz2.so.1.0: dpkg depends on it), as bzip2 -d reads: concatenated streams,
/// and trailing bytes that are not another stream ignored with a warning. <see cref="Available"/> is
/// false when it cannot be loaded; callers then fall back to SharpCompress.
/// </summary>
internal static unsafe partial class LibBz2
{
    const string Lib = "libbz2.so.1.0";
    public const int BZ_OK = 0, BZ_STREAM_END = 4;

    public static bool Available { get; } = NativeLibrary.TryLoad(Lib, out _) || NativeLibrary.TryLoad("libbz2.so.1", out _);

    [LibraryImport(Lib, EntryPoint = "BZ2_bzDecompressInit")] public static partial int DecompressInit(byte* strm, int verbosity, int small);
    [LibraryImport(Lib, EntryPoint = "BZ2_bzDecompress")] public static partial int Decompress(byte* strm);
    [LibraryImport(Lib, EntryPoint = "BZ2_bzDecompressEnd")] public static partial int DecompressEnd(byte* strm);

    // bz_stream on LP64: next_in 0, avail_in 8, total_in_lo32 12, total_in_hi32 16, next_out 24, avail_out 32, ...; 80 bytes.
    public const int StreamSize = 80, NextIn = 0, AvailIn = 8, NextOut = 24, AvailOut = 32;
}

/// <summary>A read-only stream decoding bzip2 with libbz2 (see <see cref="LibBz2"/>).</summary>
internal sealed unsafe class Bzip2DecompressStream : ForwardReadStream
{
    const int InputSize = 1 << 18;
    readonly Stream _input;
    readonly List<string>? _warnings;
    readonly byte[] _in = GC.AllocateUninitializedArray<byte>(InputSize, pinned: true);
    readonly byte* _strm = (byte*)NativeMemory.AllocZeroed(LibBz2.StreamSize);
    int _inPos, _inLen;
    bool _active, _eof, _finished, _disposed;
    long _streams;

    public Bzip2DecompressStream(Stream input, List<string>? warnings)
    {
        _input = input;
        _warnings = warnings;
    }

    public override bool CanRead => !_disposed;

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length == 0 || _finished) return 0;
        fixed (byte* dst = buffer)
        {
            while (true)
            {
                if (_inPos == _inLen && !_eof) Fill();
                if (!_active)
                {
                    if (_inPos == _inLen && _eof)
                    {
                        if (_streams == 0) throw new ArchiveCorruptException("the bzip2 stream is empty");
                        _finished = true;
                        return 0;
                    }
                    if (!StartsStream())
                    {
                        if (_streams == 0) throw new ArchiveCorruptException("this is not a bzip2 stream");
                        _warnings?.Add("ignored trailing bytes after the bzip2 data (as bzip2 -d does)");
                        _finished = true;
                        return 0;
                    }
                    Check(LibBz2.DecompressInit(_strm, 0, 0), "start");
                    _active = true;
                }
                fixed (byte* src = _in)
                {
                    *(byte**)(_strm + LibBz2.NextIn) = src + _inPos;
                    *(uint*)(_strm + LibBz2.AvailIn) = (uint)(_inLen - _inPos);
                    *(byte**)(_strm + LibBz2.NextOut) = dst;
                    *(uint*)(_strm + LibBz2.AvailOut) = (uint)buffer.Length;
                    var rc = LibBz2.Decompress(_strm);
                    _inPos = _inLen - (int)*(uint*)(_strm + LibBz2.AvailIn);
                    var produced = buffer.Length - (int)*(uint*)(_strm + LibBz2.AvailOut);
                    if (rc == LibBz2.BZ_STREAM_END)
                    {
                        LibBz2.DecompressEnd(_strm);
                        _active = false;
                        _streams++;
                    }
                    else if (rc != LibBz2.BZ_OK) Check(rc, "decode");
                    if (produced > 0) return produced;
                    if (_active && _inPos == _inLen && _eof) throw new ArchiveCorruptException("the bzip2 stream ends early (truncated)");
                }
            }
        }
    }

    /// <summary>True when the buffered input starts another bzip2 stream ("BZh" and a block size digit).</summary>
    bool StartsStream()
    {
        while (_inLen - _inPos < 4 && !_eof)
        {
            // Keep the few bytes we have and read more behind them.
            var left = _inLen - _inPos;
            Array.Copy(_in, _inPos, _in, 0, left);
            _inPos = 0;
            _inLen = left;
            var n = _input.Read(_in, _inLen, InputSize - _inLen);
            if (n == 0) _eof = true;
            _inLen += n;
        }
        if (_inLen - _inPos < 4) return false;
        return _in[_inPos] == 'B' && _in[_inPos + 1] == 'Z' && _in[_inPos + 2] == 'h' && _in[_inPos + 3] >= '1' && _in[_inPos + 3] <= '9';
    }

    void Fill()
    {
        _inLen = _input.Read(_in, 0, InputSize);
        _inPos = 0;
        if (_inLen == 0) _eof = true;
    }

    static void Check(int rc, string what)
    {
        if (rc >= 0) return;
        throw new ArchiveCorruptException(rc switch
        {
            -4 => "the bzip2 data is corrupt",
            -5 => "this is not a bzip2 stream",
            -3 => "bzip2 ran out of memory",
            _ => $"bzip2 could not {what} (error {rc})",
        });
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        if (_active) LibBz2.DecompressEnd(_strm);
        NativeMemory.Free(_strm);
        if (disposing) _input.Dispose();
        base.Dispose(disposing);
    }
}
