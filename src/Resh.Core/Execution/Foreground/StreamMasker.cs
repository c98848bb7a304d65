using System.Buffers;
using System.Text;
using Resh.Core.Secrets;

namespace Resh.Core.Execution.Foreground;

/// <summary>
/// Masks secret values in a byte stream as it passes (a program's stdout or stderr under secret.exec; with no values, a pass-through): every
/// occurrence becomes <c>***</c>, also when a value is split across two reads. Bytes that could be the start
/// of a value are held back until the next read (or the end) says whether they are; the rest goes out at once.
/// </summary>
public sealed class StreamMasker
{
    static readonly byte[] Mask = Encoding.UTF8.GetBytes(SecretRedactor.Mask);

    readonly byte[][] _needles; // longest first, so a value containing another is masked whole
    readonly SearchValues<byte> _firstBytes;
    byte[] _pending = new byte[4096];
    int _count;

    public StreamMasker(IEnumerable<string> values)
    {
        _needles = values.Where(v => v.Length > 0).Select(Encoding.UTF8.GetBytes).DistinctBy(Convert.ToBase64String)
            .OrderByDescending(b => b.Length).ToArray();
        _firstBytes = SearchValues.Create(_needles.Select(n => n[0]).Distinct().ToArray());
    }

    /// <summary>Adds <paramref name="chunk"/> and writes out everything that can no longer be part of a value.</summary>
    public void Write(ReadOnlySpan<byte> chunk, Action<ReadOnlySpan<byte>> emit)
    {
        if (_count + chunk.Length > _pending.Length) Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _count + chunk.Length));
        chunk.CopyTo(_pending.AsSpan(_count));
        _count += chunk.Length;
        Drain(emit, final: false);
    }

    /// <summary>The stream ended: what was held back is not a value and goes out as it is.</summary>
    public void Complete(Action<ReadOnlySpan<byte>> emit) => Drain(emit, final: true);

    void Drain(Action<ReadOnlySpan<byte>> emit, bool final)
    {
        var data = _pending.AsSpan(0, _count);
        int start = 0, i = 0;
        while (i < data.Length)
        {
            int next = _needles.Length == 0 ? -1 : data[i..].IndexOfAny(_firstBytes);
            if (next < 0) { i = data.Length; break; }
            i += next;
            var rest = data[i..];
            byte[]? whole = null;
            bool maybe = false;
            foreach (var n in _needles)
            {
                // A longer value that may still complete wins over a shorter one found whole (its tail would show).
                if (rest.Length < n.Length) { if (!final && n.AsSpan().StartsWith(rest)) { maybe = true; break; } }
                else if (rest.StartsWith(n)) { whole = n; break; }
            }
            if (whole is not null)
            {
                if (i > start) emit(data[start..i]);
                emit(Mask);
                i += whole.Length;
                start = i;
                continue;
            }
            if (maybe) break; // the rest may become a value with the next read: hold it
            i++;
        }
        if (i > start) emit(data[start..i]);
        int kept = data.Length - i;
        data[i..].CopyTo(_pending);
        _count = kept;
    }
}
