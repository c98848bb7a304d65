using System.IO.Compression;
using Resh.Core.Errors;

namespace Resh.Handles.Archive.Formats;

/// <summary>Compression streams: the BCL for gzip (zlib-ng, fast), ZstdSharp for zstd, SharpCompress for bzip2 and xz
/// reading, and the system <c>xz</c> for xz writing (no managed xz encoder exists).</summary>
public static class Codecs
{
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

    /// <summary>A decompressing view of <paramref name="input"/> (closing it closes the input).</summary>
    public static Stream OpenRead(Stream input, Codec codec) => codec switch
    {
        Codec.None => input,
        Codec.Gzip => new GZipStream(input, CompressionMode.Decompress, leaveOpen: false),
        Codec.Zstd => new ZstdSharp.DecompressionStream(input, bufferSize: 1 << 20, checkEndOfStream: true, leaveOpen: false),
        Codec.Bzip2 => SharpCompress.Compressors.BZip2.BZip2Stream.Create(input, SharpCompress.Compressors.CompressionMode.Decompress,
            decompressConcatenated: true, leaveOpen: false, tolerateTruncatedStream: false),
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
                return new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = lv }, leaveOpen: false);
            case Codec.Zstd:
            {
                var z = new ZstdSharp.CompressionStream(output, lv, bufferSize: 1 << 20, leaveOpen: false);
                // Work on every core, as `zstd -T0` does; the output does not depend on the worker count.
                z.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_nbWorkers, Math.Max(1, Environment.ProcessorCount));
                z.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
                return z;
            }
            case Codec.Bzip2:
                return SharpCompress.Compressors.BZip2.BZip2Stream.Create(output, SharpCompress.Compressors.CompressionMode.Compress,
                    decompressConcatenated: false, leaveOpen: false, tolerateTruncatedStream: false);
            case Codec.Xz:
                return XzPipeStream.Start(output, lv, ct);
            default:
                throw new ArgumentOutOfRangeException(nameof(codec));
        }
    }
}
