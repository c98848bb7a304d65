using System.Text;
using Resh.Core.Platform;

namespace Resh.Core.Cli;

/// <summary>
/// The lines of a batch's standard input (UTF-8, a trailing CR dropped), read in large blocks; it can tell whether the
/// next line is there without waiting (<see cref="NextReady"/>), so the runner holds answers only while more input is
/// already waiting and never while its caller waits for an answer.
/// </summary>
internal sealed class BatchLines(Stream input)
{
    readonly byte[] _buffer = new byte[64 * 1024];
    int _start, _end;
    bool _eof;
    readonly MemoryStream _long = new();

    public async ValueTask<string?> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (nl >= 0)
            {
                var line = Take(_start, nl - _start);
                _start = nl + 1;
                return line;
            }
            if (_eof)
            {
                if (_start == _end && _long.Length == 0) return null;
                var rest = Take(_start, _end - _start);
                _start = _end;
                return rest;
            }
            // Keep the partial line and refill.
            if (_start > 0 || _end == _buffer.Length)
            {
                if (_end - _start == _buffer.Length) { _long.Write(_buffer, 0, _end); _start = _end = 0; }
                else { Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start); _end -= _start; _start = 0; }
            }
            var n = await input.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0) _eof = true;
            else _end += n;
        }
    }

    string Take(int offset, int count)
    {
        string text;
        if (_long.Length > 0)
        {
            _long.Write(_buffer, offset, count);
            text = Encoding.UTF8.GetString(_long.GetBuffer(), 0, (int)_long.Length);
            _long.SetLength(0);
        }
        else text = Encoding.UTF8.GetString(_buffer, offset, count);
        return text.EndsWith('\r') ? text[..^1] : text;
    }

    /// <summary>True when the next line (or the end of input) can be read without waiting for the writer.</summary>
    public bool NextReady()
    {
        if (_eof || Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start) >= 0) return true;
        return input switch
        {
            FdStream fd => fd.ReadReady(),
            MemoryStream => true,
            _ => false,
        };
    }
}
