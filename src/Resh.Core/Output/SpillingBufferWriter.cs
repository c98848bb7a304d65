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

    /// <summary>
    /// Masks Authorization/Bearer credentials written as text (no secret is registered; the caller scrubs the whole
    /// JSON when it never spilled). Chunks are cut after a string's closing quote, so a string is never split, and a
    /// chunk that may hold a credential is masked as text (its token characters become ***, which keeps the JSON valid).
    /// One that shows up before anything was written keeps the whole JSON here, for the caller's exact scrub.
    /// </summary>
    public bool MaskCredentials { get; init; }
    bool _holding;

    public void Advance(int count)
    {
        buffer.Advance(count);
        if (_holding || buffer.WrittenCount < threshold) return;
        if (!MaskCredentials)
        {
            output.Write(buffer.WrittenSpan);
            buffer.Clear();
            Spilled = true;
            return;
        }
        var span = buffer.WrittenSpan;
        if (!Spilled && Secrets.SecretRedactor.MayHoldAuthorization(span))
        {
            _holding = true;
            return;
        }
        var cut = StringBoundary(span);
        if (cut <= 0) return; // one long string so far: it is written whole
        output.Write(Masked(span[..cut]));
        var rest = span[cut..].ToArray();
        buffer.Clear();
        buffer.Write(rest);
        Spilled = true;
    }

    /// <summary>Just after the last unescaped quote (a string's end or start), or 0.</summary>
    static int StringBoundary(ReadOnlySpan<byte> json)
    {
        var end = json.Length;
        while (end > 0)
        {
            var q = json[..end].LastIndexOf((byte)'"');
            if (q < 0) return 0;
            if (q == 0 || json[q - 1] != '\\') return q + 1;
            end = q;
        }
        return 0;
    }

    static ReadOnlySpan<byte> Masked(ReadOnlySpan<byte> chunk) =>
        !Secrets.SecretRedactor.MayHoldAuthorization(chunk) ? chunk
            : System.Text.Encoding.UTF8.GetBytes(Secrets.SecretRedactor.MaskAuthorization(System.Text.Encoding.UTF8.GetString(chunk)));

    public Memory<byte> GetMemory(int sizeHint = 0) => buffer.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => buffer.GetSpan(sizeHint);

    /// <summary>Writes what is left.</summary>
    public void Complete()
    {
        output.Write(MaskCredentials ? Masked(buffer.WrittenSpan) : buffer.WrittenSpan);
        buffer.Clear();
    }
}
