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

    /// <summary>Just after the last unescaped quote (a string's end or start: the writer advances at token ends), or 0.</summary>
    static int StringBoundary(ReadOnlySpan<byte> json)
    {
        var end = json.Length;
        while (end > 0)
        {
            var q = json[..end].LastIndexOf((byte)'"');
            if (q < 0) return 0;
            var backslashes = 0;
            while (q - backslashes > 0 && json[q - backslashes - 1] == '\\') backslashes++;
            if (backslashes % 2 == 0) return q + 1; // `\\"` ends a string that ends in a backslash
            end = q;
        }
        return 0;
    }

    /// <summary>
    /// A chunk of JSON with each string value masked as the whole-document scrub masks it (<see cref="Secrets.SecretRedactor.ScrubJson"/>):
    /// decoded, so `Authorization:\tBearer x` written as `\t` is seen as the header it is, then encoded again with the
    /// envelope's encoder. The same credential is masked the same way in the first 32 KiB and after them (s43 #5).
    /// </summary>
    static ReadOnlySpan<byte> Masked(ReadOnlySpan<byte> chunk)
    {
        if (!Secrets.SecretRedactor.MayHoldAuthorization(chunk)) return chunk;
        ArrayBufferWriter<byte>? output = null;
        var copied = 0;
        var i = 0;
        while (i < chunk.Length)
        {
            if (chunk[i] != '"') { i++; continue; }
            var end = i + 1;
            while (end < chunk.Length && chunk[end] != '"') end += chunk[end] == '\\' ? 2 : 1;
            if (end >= chunk.Length) break; // no string is cut by a chunk; should one be, it is left as written
            var token = chunk[i..(end + 1)];
            i = end + 1;
            var next = i;
            while (next < chunk.Length && chunk[next] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') next++;
            if (next < chunk.Length && chunk[next] == ':') continue; // a property name: the scrub masks values
            if (!Secrets.SecretRedactor.MayHoldAuthorization(token)) continue;
            string value;
            try
            {
                var reader = new System.Text.Json.Utf8JsonReader(token);
                reader.Read();
                value = reader.GetString()!;
            }
            catch (System.Text.Json.JsonException) { continue; }
            var masked = Secrets.SecretRedactor.MaskAuthorization(value);
            if (ReferenceEquals(masked, value)) continue;
            output ??= new ArrayBufferWriter<byte>(chunk.Length);
            output.Write(chunk[copied..(i - token.Length)]);
            output.Write("\""u8);
            output.Write(System.Text.Json.JsonEncodedText.Encode(masked, EnvelopeJson.WriterOptions(false).Encoder).EncodedUtf8Bytes);
            output.Write("\""u8);
            copied = i;
        }
        if (output is null) return chunk;
        output.Write(chunk[copied..]);
        return output.WrittenSpan;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => buffer.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => buffer.GetSpan(sizeHint);

    /// <summary>Writes what is left.</summary>
    public void Complete()
    {
        output.Write(MaskCredentials ? Masked(buffer.WrittenSpan) : buffer.WrittenSpan);
        buffer.Clear();
    }
}
