using System.Net;
using System.Text;

namespace Resh.Core.Transport.Http;

/// <summary>
/// Reads one HTTP/1.x request from a stream within <see cref="HttpServerLimits"/>: the head up to MaxHeadBytes (the
/// request line up to MaxRequestLine, at most MaxHeaderCount headers), then a Content-Length or chunked body up to the
/// handler's limit (a chunked body also by its number of chunks and framing bytes, read through the buffer, not a byte
/// per call). Ambiguous framing (Content-Length with Transfer-Encoding, two different lengths, obsolete line
/// folding, a bare CR or LF) is refused, so a proxy in front cannot read the request differently (request smuggling).
/// The caller bounds the time with the cancellation token.
/// </summary>
public sealed class HttpRequestReader(Stream stream, HttpServerLimits limits)
{
    readonly byte[] _buffer = new byte[limits.MaxHeadBytes];
    int _start, _end; // unread bytes after the head are _buffer[_start.._end]

    /// <summary>Bytes of a next request have arrived (read ahead, or part of a head): a keep-alive wait is not idle.</summary>
    public bool HasPending => _end > _start;

    /// <summary>Reads the next request's head; on a kept-alive connection what was read ahead of it is kept.</summary>
    public async Task<HttpRequestHead> ReadHeadAsync(IPEndPoint? remote, bool tls, CancellationToken ct)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        int headEnd;
        while ((headEnd = IndexOf(_buffer.AsSpan(0, _end), "\r\n\r\n"u8)) < 0)
        {
            var firstLine = IndexOf(_buffer.AsSpan(0, _end), "\r\n"u8);
            if ((firstLine < 0 ? _end : firstLine) > limits.MaxRequestLine)
                throw new HttpRequestRejected(414, $"The request line is longer than {limits.MaxRequestLine} bytes.");
            if (_end == _buffer.Length)
                throw new HttpRequestRejected(431, $"The request head is larger than {limits.MaxHeadBytes} bytes.");
            var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0) throw new EndOfStreamException(_end == 0 ? "The client closed the connection without a request." : "The client closed the connection in the middle of the request head.");
            _end += n;
        }
        _start = headEnd + 4;
        var text = Encoding.Latin1.GetString(_buffer, 0, headEnd);
        var lines = text.Split("\r\n");
        foreach (var line in lines)
            if (line.Contains('\r') || line.Contains('\n') || line.Contains('\0'))
                throw new HttpRequestRejected(400, "The request head has a bare CR, LF or NUL.");
        if (lines[0].Length > limits.MaxRequestLine)
            throw new HttpRequestRejected(414, $"The request line is longer than {limits.MaxRequestLine} bytes.");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || !IsToken(parts[0]) || parts[1].Length == 0)
            throw new HttpRequestRejected(400, "The request line is not METHOD TARGET HTTP/1.1.");
        var version = parts[2] switch
        {
            "HTTP/1.1" => "1.1",
            "HTTP/1.0" => "1.0",
            _ when parts[2].StartsWith("HTTP/", StringComparison.Ordinal) => throw new HttpRequestRejected(505, $"{parts[2]} is not served; use HTTP/1.1."),
            _ => throw new HttpRequestRejected(400, "The request line is not METHOD TARGET HTTP/1.1."),
        };
        var target = parts[1];
        if (target[0] != '/') throw new HttpRequestRejected(400, "The request target must be a path (origin form: /path?query).");
        var q = target.IndexOf('?');
        var headers = new List<KeyValuePair<string, string>>();
        for (int i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length > 0 && line[0] is ' ' or '\t') throw new HttpRequestRejected(400, "Folded header lines (obs-fold) are not accepted.");
            var colon = line.IndexOf(':');
            if (colon <= 0 || !IsToken(line[..colon])) throw new HttpRequestRejected(400, "A header line is not `Name: value`.");
            if (headers.Count == limits.MaxHeaderCount) throw new HttpRequestRejected(431, $"The request has more than {limits.MaxHeaderCount} headers.");
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }
        return new HttpRequestHead
        {
            Method = parts[0],
            Target = target,
            Path = q < 0 ? target : target[..q],
            Query = q < 0 ? "" : target[(q + 1)..],
            Version = version,
            Headers = headers,
            Remote = remote,
            Tls = tls,
        };
    }

    /// <summary>The body's declared framing: a length, chunked (-1), or none (0); ambiguous framing is refused.</summary>
    public static long Framing(HttpRequestHead head)
    {
        string? length = null;
        bool chunked = false;
        foreach (var (k, v) in head.Headers)
        {
            if (k.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var item in v.Split(','))
                {
                    var t = item.Trim();
                    if (length is not null && length != t) throw new HttpRequestRejected(400, "The request has two different Content-Length values.");
                    length = t;
                }
            }
            else if (k.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                if (!v.Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase) || chunked)
                    throw new HttpRequestRejected(501, "Only `Transfer-Encoding: chunked` is accepted.");
                chunked = true;
            }
        }
        if (chunked && length is not null) throw new HttpRequestRejected(400, "The request has both Content-Length and Transfer-Encoding.");
        if (chunked) return -1;
        if (length is null) return 0;
        if (length.Length == 0 || length.Length > 18 || !length.All(char.IsAsciiDigit))
            throw new HttpRequestRejected(400, "Content-Length is not a number.");
        return long.Parse(length, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The body, at most <paramref name="maxBody"/> bytes (413 beyond, without reading the rest).</summary>
    public async Task<byte[]> ReadBodyAsync(HttpRequestHead head, long framing, long maxBody, CancellationToken ct)
    {
        if (framing > maxBody) throw new HttpRequestRejected(413, $"The body ({framing} bytes) is larger than the limit ({maxBody} bytes).");
        if (framing >= 0)
        {
            var body = new byte[framing];
            int got = 0;
            while (got < framing) got += await ReadSomeAsync(body.AsMemory(got), ct).ConfigureAwait(false);
            return body;
        }
        var output = new MemoryStream();
        int trailerBytes = 0, chunks = 0;
        long framingBytes = 0;
        while (true)
        {
            var sizeLine = await ReadLineAsync(1024, ct).ConfigureAwait(false);
            // Bounded by count and by framing bytes as well as by size: a million one-byte chunks stay under max_body (s32 attacker #8).
            framingBytes += sizeLine.Length + 4;
            if (++chunks > limits.MaxChunks)
                throw new HttpRequestRejected(413, $"The chunked body has more than {limits.MaxChunks} chunks; send it in fewer, larger chunks or with Content-Length.");
            if (framingBytes > limits.MaxChunkFramingBytes)
                throw new HttpRequestRejected(413, $"The chunked body's framing (chunk sizes and extensions) is larger than {limits.MaxChunkFramingBytes} bytes.");
            var semi = sizeLine.IndexOf(';');
            var hex = (semi < 0 ? sizeLine : sizeLine[..semi]).Trim();
            if (hex.Length == 0 || hex.Length > 15 || !hex.All(char.IsAsciiHexDigit)) throw new HttpRequestRejected(400, "A chunk size is not hexadecimal.");
            var size = long.Parse(hex, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            if (size == 0) break;
            if (output.Length + size > maxBody) throw new HttpRequestRejected(413, $"The chunked body is larger than the limit ({maxBody} bytes).");
            var chunk = new byte[size];
            int got = 0;
            while (got < size) got += await ReadSomeAsync(chunk.AsMemory(got), ct).ConfigureAwait(false);
            output.Write(chunk);
            if (await ReadLineAsync(2, ct).ConfigureAwait(false) != "") throw new HttpRequestRejected(400, "A chunk does not end with CRLF.");
        }
        while (true) // trailers: counted against the head limit, then dropped
        {
            var line = await ReadLineAsync(limits.MaxHeadBytes, ct).ConfigureAwait(false);
            if (line.Length == 0) break;
            trailerBytes += line.Length + 2;
            if (trailerBytes > limits.MaxHeadBytes) throw new HttpRequestRejected(431, "The chunked trailers are too large.");
        }
        return output.ToArray();
    }

    /// <summary>Bytes of the request into <paramref name="into"/>: what is buffered first; a large read goes straight to the stream.</summary>
    async ValueTask<int> ReadSomeAsync(Memory<byte> into, CancellationToken ct)
    {
        if (_start == _end)
        {
            if (into.Length >= _buffer.Length)
            {
                var direct = await stream.ReadAsync(into, ct).ConfigureAwait(false);
                if (direct == 0) throw new EndOfStreamException("The client closed the connection in the middle of the body.");
                return direct;
            }
            await FillAsync(ct).ConfigureAwait(false);
        }
        var n = Math.Min(into.Length, _end - _start);
        _buffer.AsMemory(_start, n).CopyTo(into);
        _start += n;
        return n;
    }

    /// <summary>Refills the (used up) buffer with one read of the stream.</summary>
    async ValueTask FillAsync(CancellationToken ct)
    {
        _start = 0;
        _end = 0;
        var read = await stream.ReadAsync(_buffer, ct).ConfigureAwait(false);
        if (read == 0) throw new EndOfStreamException("The client closed the connection in the middle of the body.");
        _end = read;
    }

    /// <summary>One CRLF-terminated line of at most <paramref name="max"/> bytes (chunk sizes, trailers), parsed from the buffer.</summary>
    async ValueTask<string> ReadLineAsync(int max, CancellationToken ct)
    {
        var sb = new StringBuilder();
        while (true)
        {
            if (_start == _end) await FillAsync(ct).ConfigureAwait(false);
            var span = _buffer.AsSpan(_start, _end - _start);
            var i = span.IndexOfAny((byte)'\r', (byte)'\n');
            var take = i < 0 ? span.Length : i;
            if (sb.Length + take > max) throw new HttpRequestRejected(400, "A line of the chunked body framing is too long.");
            foreach (var b in span[..take]) sb.Append((char)b);
            if (i < 0) { _start = _end; continue; }
            _start += i + 1;
            if (span[i] == '\n') throw new HttpRequestRejected(400, "A bare LF in the chunked body framing.");
            if (_start == _end) await FillAsync(ct).ConfigureAwait(false);
            if (_buffer[_start++] != '\n') throw new HttpRequestRejected(400, "A bare CR in the chunked body framing.");
            return sb.ToString();
        }
    }

    static int IndexOf(ReadOnlySpan<byte> data, ReadOnlySpan<byte> what) => data.IndexOf(what);

    static bool IsToken(string s)
    {
        foreach (var c in s)
            if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".Contains(c)) return false;
        return true;
    }
}
