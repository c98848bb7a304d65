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

    /// <summary>A read of the stream started by <see cref="WatchAsync"/> that has not been taken yet: its bytes land at _buffer[_end..].</summary>
    Task<int>? _ahead;
    /// <summary>The client closed its side (or the connection failed) while a request was handled.</summary>
    bool _closed;

    /// <summary>
    /// Bytes the watch read and dropped because the buffer was full: the connection's next request is lost, so it is
    /// closed after the answer.
    /// </summary>
    public long Discarded { get; private set; }

    /// <summary>
    /// While a request is handled: reads what the client sends next (a pipelined request, kept in the buffer for
    /// <see cref="ReadHeadAsync"/>) so that its closing the connection is seen at once; <paramref name="closed"/> runs then
    /// (the call's cancellation). Stops at <paramref name="stop"/> (the answer is sent), leaving a read in flight for the
    /// next head. Once the buffer is full, what arrives is read and dropped (<see cref="Discarded"/>) so a close is still
    /// seen; past MaxDiscardBytes the call is cancelled as if the client had gone (s41 attacker #2: before, a full buffer
    /// ended the watch and a follow ran to its own end after its client left).
    /// </summary>
    public async Task WatchAsync(Action closed, CancellationToken stop)
    {
        if (_start > 0 && _ahead is null)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = stop.Register(() => stopped.TrySetResult());
        while (!stop.IsCancellationRequested && !_closed)
        {
            if (_ahead is null && _end == _buffer.Length)
            {
                await DiscardAsync(closed, stopped.Task).ConfigureAwait(false);
                return;
            }
            if (_ahead is null)
            {
                try { _ahead = stream.ReadAsync(_buffer.AsMemory(_end), CancellationToken.None).AsTask(); }
                catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException) { _ahead = Task.FromResult(0); }
            }
            if (await Task.WhenAny(_ahead, stopped.Task).ConfigureAwait(false) != _ahead) return;
            if (TakeAhead() == 0)
            {
                closed();
                return;
            }
        }
    }

    /// <summary>The watch with a full buffer: reads and drops the client's bytes until it closes, the answer is sent, or the cap.</summary>
    async Task DiscardAsync(Action closed, Task stopped)
    {
        var scratch = new byte[16 * 1024];
        while (true)
        {
            Task<int> read;
            try { read = stream.ReadAsync(scratch, CancellationToken.None).AsTask(); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException) { read = Task.FromResult(0); }
            if (await Task.WhenAny(read, stopped).ConfigureAwait(false) != read)
            {
                // The answer is sent with a read in flight into the scratch buffer: the connection is closed (Discarded > 0).
                Discarded = Math.Max(Discarded, 1);
                _ = read.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                return;
            }
            int n;
            try { n = read.GetAwaiter().GetResult(); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException) { n = 0; }
            if (n == 0)
            {
                _closed = true;
                closed();
                return;
            }
            Discarded += n;
            if (Discarded > limits.MaxDiscardBytes)
            {
                _closed = true;
                closed();
                return;
            }
        }
    }

    /// <summary>The bytes of the read <see cref="WatchAsync"/> left (0: the client closed), added to the buffer.</summary>
    int TakeAhead()
    {
        var ahead = _ahead!;
        _ahead = null;
        int n;
        try { n = ahead.GetAwaiter().GetResult(); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException) { n = 0; }
        if (n == 0) _closed = true;
        else _end += n;
        return n;
    }

    /// <summary>Waits for the read <see cref="WatchAsync"/> left in flight and takes its bytes (none: the client closed).</summary>
    async ValueTask AwaitAheadAsync(CancellationToken ct)
    {
        if (_ahead is null) return;
        await _ahead.WaitAsync(ct).ConfigureAwait(false);
        TakeAhead();
    }

    /// <summary>Reads the next request's head; on a kept-alive connection what was read ahead of it is kept.</summary>
    public async Task<HttpRequestHead> ReadHeadAsync(IPEndPoint? remote, bool tls, CancellationToken ct)
    {
        // A read left in flight by the watch writes at _end: the buffer moves only once it is taken, and it is waited
        // for only when the bytes at hand hold no whole head (pipelined requests already read are served first).
        if (_ahead is { IsCompleted: true }) TakeAhead();
        if (_ahead is not null && IndexOf(_buffer.AsSpan(_start, _end - _start), "\r\n\r\n"u8) < 0) await AwaitAheadAsync(ct).ConfigureAwait(false);
        if (_closed && _end == _start) throw new EndOfStreamException("The client closed the connection.");
        if (_start > 0 && _ahead is null)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        int headEnd;
        while ((headEnd = IndexOf(_buffer.AsSpan(_start, _end - _start), "\r\n\r\n"u8)) < 0)
        {
            // Here nothing is read ahead (it was waited for above) and the buffer starts at 0.
            var firstLine = IndexOf(_buffer.AsSpan(_start, _end - _start), "\r\n"u8);
            if ((firstLine < 0 ? _end : firstLine) > limits.MaxRequestLine)
                throw new HttpRequestRejected(414, $"The request line is longer than {limits.MaxRequestLine} bytes.");
            if (_end == _buffer.Length)
                throw new HttpRequestRejected(431, $"The request head is larger than {limits.MaxHeadBytes} bytes.");
            var n = _closed ? 0 : await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0) throw new EndOfStreamException(_end == 0 ? "The client closed the connection without a request." : "The client closed the connection in the middle of the request head.");
            _end += n;
        }
        var text = Encoding.Latin1.GetString(_buffer, _start, headEnd);
        _start += headEnd + 4;
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
            if (into.Length >= _buffer.Length && _ahead is null && !_closed)
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
        if (_ahead is not null)
        {
            await AwaitAheadAsync(ct).ConfigureAwait(false);
            if (_end > _start) return;
        }
        if (_closed) throw new EndOfStreamException("The client closed the connection in the middle of the body.");
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
