using System.Text;

namespace Resh.Handles.Ssh.Remote;

/// <summary>
/// Reads lines from a remote answer with a ceiling on one line's length: a host that sends bytes without a
/// newline ends the read with <see cref="LineTooLongException"/> instead of growing memory without bound.
/// </summary>
internal sealed class BoundedLineReader(TextReader reader, long maxChars)
{
    readonly char[] _buffer = new char[64 * 1024];
    int _pos, _len;
    bool _eof;

    public async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        StringBuilder? sb = null;
        while (true)
        {
            if (_pos == _len)
            {
                if (_eof) return sb?.ToString();
                _len = await reader.ReadAsync(_buffer.AsMemory(), ct).ConfigureAwait(false);
                _pos = 0;
                if (_len == 0) { _eof = true; return sb?.ToString(); }
            }
            var span = _buffer.AsSpan(_pos, _len - _pos);
            var nl = span.IndexOf('\n');
            var take = nl < 0 ? span.Length : nl;
            sb ??= new StringBuilder();
            if (sb.Length + take > maxChars) throw new LineTooLongException(maxChars);
            sb.Append(span[..take]);
            _pos += nl < 0 ? take : take + 1;
            if (nl >= 0)
            {
                if (sb.Length > 0 && sb[^1] == '\r') sb.Length--;
                return sb.ToString();
            }
        }
    }
}

internal sealed class LineTooLongException(long max) : Exception($"A line of the remote answer is longer than {max} bytes.")
{
    public long Max { get; } = max;
}
