using System.Buffers;

namespace Resh.Core.Output;

/// <summary>
/// Collects an envelope's JSON and writes it out in one piece when it is small, or passes it to stdout
/// in ~32 KiB chunks once it grows past that (kept under the large-object size: a buffer that grew to 1 MiB left ~4 MiB of large-object garbage behind) (a listing of a whole tree), so printing a result never
/// needs memory in proportion to its size.
/// </summary>
internal sealed class SpillingBufferWriter(Stream output, ArrayBufferWriter<byte> buffer, int threshold = 1 << 15) : IBufferWriter<byte>
{
    /// <summary>True once part of the JSON has reached stdout (a failure after that cannot be taken back).</summary>
    public bool Spilled { get; private set; }

    public void Advance(int count)
    {
        buffer.Advance(count);
        if (buffer.WrittenCount < threshold) return;
        output.Write(buffer.WrittenSpan);
        buffer.Clear();
        Spilled = true;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => buffer.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => buffer.GetSpan(sizeHint);

    /// <summary>Writes what is left.</summary>
    public void Complete()
    {
        output.Write(buffer.WrittenSpan);
        buffer.Clear();
    }
}
