using System.IO.Compression;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>Compression streams: the BCL for gzip (zlib-ng, fast), the system libzstd for zstd (ZstdSharp when it
/// cannot be loaded), SharpCompress for bzip2 and xz reading, and the system <c>xz</c> for xz writing (no managed
/// xz encoder exists).</summary>
public static class Codecs
{
    /// <summary>
    /// zstd compression threads, one per core as `zstd -T0` (the tar stream is produced on the calling
    /// thread meanwhile). The output is standard zstd whatever the count; see docs/benchmarks.md ## storage.
    /// </summary>
    static int ZstdWorkers => Environment.ProcessorCount > 1 ? Environment.ProcessorCount : 0;

    /// <summary>Says so in the envelope when zstd runs on the managed fallback (standard zstd still, at ~1.4x the CPU).</summary>
    public static void WarnIfZstdFallback(VerbContext ctx, Codec codec)
    {
        if (codec == Codec.Zstd && !LibZstd.Available)
            ctx.Warn("The system zstd library (libzstd.so.1) could not be loaded; zstd ran on the slower managed implementation. Install libzstd1 for full speed.");
    }

    public static int DefaultLevel(Codec c) => c switch
    {
        Codec.Gzip => 6,
        Codec.Zstd => 3,
        Codec.Xz => 6,
        Codec.Bzip2 => 9,
        _ => 0,
    };

    public static (int Min, int Max) LevelRange(Codec c) => c switch
    {
        Codec.Zstd => (1, 19),
        Codec.Gzip or Codec.Xz or Codec.Bzip2 => (0, 9),
        _ => (0, 9),
    };

    /// <summary>
    /// A decompressing view of <paramref name="input"/> (closing it closes the input). With
    /// <paramref name="readAhead"/> the decoder runs on its own thread a few MiB ahead of the reader.
    /// </summary>
    public static Stream OpenRead(Stream input, Codec codec, bool readAhead = false, List<string>? warnings = null)
    {
        var decoded = Decoder(input, codec, warnings);
        return readAhead && codec != Codec.None ? new ReadAheadStream(decoded) : decoded;
    }

    /// <summary>
    /// The decoder for a codec: the system libraries (libzstd, libbz2, liblzma) where they load, as the
    /// zstd, bzip2 and xz tools decode (concatenated streams, skippable frames, bzip2's trailing garbage
    /// ignored with a warning); the managed ports otherwise.
    /// </summary>
    static Stream Decoder(Stream input, Codec codec, List<string>? warnings) => codec switch
    {
        Codec.None => input,
        Codec.Gzip => new GZipStream(input, CompressionMode.Decompress, leaveOpen: false),
        Codec.Zstd when LibZstd.Available => new ZstdDecompressStream(input, leaveOpen: false),
        Codec.Zstd => new ZstdSharp.DecompressionStream(input, bufferSize: 1 << 20, checkEndOfStream: true, leaveOpen: false),
        Codec.Bzip2 when LibBz2.Available => new Bzip2DecompressStream(input, warnings),
        Codec.Bzip2 => SharpCompress.Compressors.BZip2.BZip2Stream.Create(input, SharpCompress.Compressors.CompressionMode.Decompress,
            decompressConcatenated: true, leaveOpen: false, tolerateTruncatedStream: false),
        Codec.Xz when LibLzma.Available => new XzDecompressStream(input),
        Codec.Xz => new SharpCompress.Compressors.Xz.XZStream(input),
        _ => throw new ArgumentOutOfRangeException(nameof(codec)),
    };

    /// <summary>A compressing stream that writes into <paramref name="output"/>; dispose it to finish the stream.</summary>
    public static Stream OpenWrite(Stream output, Codec codec, int? level, CancellationToken ct)
    {
        var lv = level ?? DefaultLevel(codec);
        var (min, max) = LevelRange(codec);
        if (codec != Codec.None && (lv < min || lv > max))
            throw ReshError.Usage($"Compression level {lv} is out of range for {ArchiveFormat.CodecName(codec)} ({min}-{max}).", $"Use a level from {min} to {max}.").ToException();
        switch (codec)
        {
            case Codec.None:
                return output;
            case Codec.Gzip:
                // deflate is single-threaded: run it beside the thread that reads the files.
                return new WriteBehindStream(new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = lv }, leaveOpen: false));
            case Codec.Zstd when LibZstd.Available:
                return new ZstdCompressStream(output, lv, ZstdWorkers, leaveOpen: false);
            case Codec.Zstd:
            {
                var z = new ZstdSharp.CompressionStream(output, lv, bufferSize: 1 << 20, leaveOpen: false);
                // Work on every core, as `zstd -T0` does; the output does not depend on the worker count.
                z.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_nbWorkers, Math.Max(1, Environment.ProcessorCount));
                z.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
                return z;
            }
            case Codec.Bzip2:
                return new WriteBehindStream(SharpCompress.Compressors.BZip2.BZip2Stream.Create(output, SharpCompress.Compressors.CompressionMode.Compress,
                    decompressConcatenated: false, leaveOpen: false, tolerateTruncatedStream: false));
            case Codec.Xz:
                return XzPipeStream.Start(output, lv, ct);
            default:
                throw new ArgumentOutOfRangeException(nameof(codec));
        }
    }
}
