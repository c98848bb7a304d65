using System.Buffers;
using System.Text;
using Resh.Core.Secrets;

namespace Resh.Core.Output;

/// <summary>
/// The stream under an output that goes out as it is made (a table, YAML, NDJSON lines) when no secret is registered:
/// whole lines pass through in the chunks they came in, and a chunk that may hold an Authorization header or a Bearer
/// token (<see cref="SecretRedactor.MayHoldAuthorization"/>) is masked line by line first: each line as one JSON
/// document (<paramref name="json"/>: NDJSON, where every line is one) or as text. A partial line waits for its end;
/// <see cref="Complete"/> writes what is left.
/// </summary>
internal sealed class CredentialLineStream(Stream inner, bool json) : Stream
{
    readonly ArrayBufferWriter<byte> _pending = new(256);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var last = buffer.LastIndexOf((byte)'\n');
        if (last < 0)
        {
            _pending.Write(buffer);
            return;
        }
        if (_pending.WrittenCount == 0) Emit(buffer[..(last + 1)]);
        else
        {
            _pending.Write(buffer[..(last + 1)]);
            Emit(_pending.WrittenSpan);
            _pending.Clear();
        }
        _pending.Write(buffer[(last + 1)..]);
    }

    /// <summary>Whole lines: as they are, or each masked when the chunk may hold a credential.</summary>
    void Emit(ReadOnlySpan<byte> lines)
    {
        if (!SecretRedactor.MayHoldAuthorization(lines))
        {
            inner.Write(lines);
            return;
        }
        while (lines.Length > 0)
        {
            var nl = lines.IndexOf((byte)'\n');
            var line = nl < 0 ? lines : lines[..nl];
            inner.Write(Mask(line));
            if (nl < 0) break;
            inner.Write("\n"u8);
            lines = lines[(nl + 1)..];
        }
    }

    ReadOnlySpan<byte> Mask(ReadOnlySpan<byte> line)
    {
        if (!SecretRedactor.MayHoldAuthorization(line)) return line;
        if (json)
        {
            try { return SecretRedactor.ScrubJson(line, EnvelopeJson.WriterOptions(false)) ?? line; }
            catch (System.Text.Json.JsonException) { } // not one document: masked as text below
        }
        return Encoding.UTF8.GetBytes(SecretRedactor.MaskAuthorization(Encoding.UTF8.GetString(line)));
    }

    /// <summary>Writes the last, unterminated line.</summary>
    public void Complete()
    {
        if (_pending.WrittenCount == 0) return;
        inner.Write(Mask(_pending.WrittenSpan));
        _pending.Clear();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void WriteByte(byte value) => Write([value]);
    public override void Flush() => inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
