namespace Resh.Handles.Cache.Redis;

/// <summary>
/// Watches the bytes a Redis server sends, frame by frame (RESP2 and RESP3), and refuses a reply larger than
/// <see cref="RedisReplyLimit.MaxValue"/> from its declared lengths, before the client has buffered it: a bulk string
/// longer than max_value, an aggregate declaring more elements than the reply's budget can hold, one top-level reply
/// whose bytes exceed max_value (plus framing), nesting deeper than 64, or bytes that are not RESP. StackExchange.Redis
/// buffers a frame until it is complete and allocates from the counts it declares, so this is the only place a hostile
/// server's reply can be stopped in bounded memory.
/// </summary>
internal sealed class RespReplyBudget(RedisReplyLimit limit)
{
    const int MaxDepth = 64;
    /// <summary>Framing allowed on top of max_value (a sixteenth, 64 bytes to 64 KiB), so that a value of exactly max_value fits in its reply.</summary>
    long Slack => Math.Clamp(limit.MaxValue / 16, 64, 64 * 1024);
    /// <summary>Each element of a reply costs the client an object; a reply may hold one per this many bytes of max_value.</summary>
    const long BytesPerElement = 64;

    readonly byte[] _head = new byte[24];
    int _headLength;
    bool _lineIsSkipped; // a long simple string or error: its bytes are only counted
    long _bulkLeft;      // bytes of a bulk string (and its CRLF) still to pass
    long _frameBytes;    // bytes of the current top-level reply so far
    long _frameElements; // elements of the current top-level reply so far
    readonly Stack<(long Left, bool Attribute)> _open = new();

    long MaxFrame => limit.MaxValue + Slack;
    long MaxElements => Math.Max(1024, limit.MaxValue / BytesPerElement);

    /// <summary>Checks <paramref name="data"/>, the next bytes of the stream; throws <see cref="CacheReplyException"/> on a reply out of bounds.</summary>
    public void Scan(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length)
        {
            if (_bulkLeft > 0)
            {
                var n = (int)Math.Min(_bulkLeft, data.Length - i);
                _bulkLeft -= n;
                i += n;
                Count(n);
                if (_bulkLeft == 0) Completed();
                continue;
            }
            var b = data[i++];
            Count(1);
            if (b == (byte)'\n')
            {
                Header();
                continue;
            }
            if (_headLength < _head.Length) _head[_headLength++] = b;
            else if (_lineIsSkipped || IsLine(_head[0])) _lineIsSkipped = true;
            else throw Broken("a length line longer than 24 bytes");
        }
    }

    void Count(long n)
    {
        _frameBytes += n;
        if (_frameBytes > MaxFrame) throw CacheReplyException.Large("A Redis reply", _frameBytes, limit.MaxValue);
    }

    static bool IsLine(byte prefix) => prefix is (byte)'+' or (byte)'-' or (byte)':' or (byte)'_' or (byte)',' or (byte)'#' or (byte)'(';

    void Header()
    {
        var line = _head.AsSpan(0, _headLength);
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        _headLength = 0;
        _lineIsSkipped = false;
        if (line.Length == 0) throw Broken("an empty line");
        var prefix = line[0];
        if (prefix == (byte)'-' && _open.Count == 0 && IsLoginRefused(line)) throw LoginRefused(line);
        if (IsLine(prefix)) { Completed(); return; }
        var n = Number(line[1..]);
        switch (prefix)
        {
            case (byte)'$' or (byte)'!' or (byte)'=':
                if (n < 0) { Completed(); return; }
                if (n > limit.MaxValue || _frameBytes + n > MaxFrame)
                    throw CacheReplyException.Large(_open.Count == 0 ? "A Redis value" : "A Redis reply", n > limit.MaxValue ? n : _frameBytes + n, limit.MaxValue);
                _bulkLeft = n + 2;
                return;
            case (byte)'*' or (byte)'~' or (byte)'>' or (byte)'%' or (byte)'|':
                if (n < 0) { Completed(); return; }
                var elements = prefix is (byte)'%' or (byte)'|' ? 2 * n : n;
                _frameElements += elements;
                if (_frameElements > MaxElements)
                    throw new CacheReplyException(CacheReplyException.TooLarge,
                        $"A Redis reply declared {_frameElements} elements, more than max_value ({limit.MaxValue} bytes) allows ({MaxElements}); resh did not read it.",
                        _frameElements, limit.MaxValue);
                if (elements == 0) { Completed(); return; }
                if (_open.Count == MaxDepth) throw Broken($"replies nested deeper than {MaxDepth}");
                _open.Push((elements, prefix == (byte)'|'));
                return;
            default:
                throw Broken($"a reply starting with byte 0x{prefix:x2}");
        }
    }

    /// <summary>One value ended: it counts against the aggregate it is in; a top-level value ends the reply.</summary>
    void Completed()
    {
        while (_open.Count > 0)
        {
            var (left, attribute) = _open.Pop();
            if (left > 1) { _open.Push((left - 1, attribute)); return; }
            if (attribute) return; // an attribute map precedes the value it describes: that value still comes
        }
        _frameBytes = 0;
        _frameElements = 0;
    }

    /// <summary>
    /// The errors only AUTH (and HELLO ... AUTH) answer with. StackExchange.Redis logs a failed AUTH and carries on
    /// with the connection, which then runs every command as the default user: a wrong password must end it instead.
    /// </summary>
    static readonly byte[][] s_loginRefusals =
    [
        "-WRONGPASS"u8.ToArray(),
        "-ERR invalid password"u8.ToArray(),
        "-ERR invalid username"u8.ToArray(),      // -ERR invalid username-password pair (Redis 6.0)
        "-ERR AUTH <password>"u8.ToArray(),        // AUTH <password> called without any password configured for the default user
        "-NOAUTH HELLO"u8.ToArray(),
    ];

    static bool IsLoginRefused(ReadOnlySpan<byte> line)
    {
        foreach (var refusal in s_loginRefusals)
            if (line.StartsWith(refusal)) return true;
        return false;
    }

    static CacheReplyException LoginRefused(ReadOnlySpan<byte> line)
    {
        var text = System.Text.Encoding.ASCII.GetString(line[1..]);
        return new(CacheReplyException.Auth, $"the server refused the login ({text}…)");
    }

    long Number(ReadOnlySpan<byte> digits)
    {
        if (digits.Length == 0) throw Broken("a length that is not a number");
        var negative = digits[0] == (byte)'-';
        if (negative) digits = digits[1..];
        if (digits.Length == 0) throw Broken("a length that is not a number");
        if (digits.Length > 18) return negative ? -1 : long.MaxValue; // more than any budget: refused as too large
        long n = 0;
        foreach (var d in digits)
        {
            if (d is < (byte)'0' or > (byte)'9') throw Broken("a length that is not a number");
            n = n * 10 + (d - '0');
        }
        return negative ? -n : n;
    }

    static CacheReplyException Broken(string what) =>
        new(CacheReplyException.Protocol, $"The server sent {what}, which is not the Redis protocol (RESP); resh closed the connection.");
}
