using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.Cache.Memcached;

/// <summary>
/// A memcached text-protocol connection (protocol.txt): command lines end in CRLF, data blocks are length-prefixed,
/// so values are bytes-exact. One connection per server per process, used by one command at a time. Lines are Latin-1
/// (one char per byte), so a key's bytes, whatever they are, go out and come back as they were. A data block longer than
/// <see cref="MaxValue"/> is refused from its declared length, before anything is allocated; a connection that failed or
/// was refused mid-reply is never used again.
/// </summary>
internal sealed class MemcachedConnection : IAsyncDisposable
{
    static readonly ConcurrentDictionary<string, MemcachedConnection> s_pool = new(StringComparer.Ordinal);

    readonly Socket _socket;
    readonly NetworkStream _stream;
    readonly byte[] _buffer = new byte[64 * 1024];
    int _start, _end;
    public SemaphoreSlim Gate { get; } = new(1, 1);
    public bool Broken { get; private set; }
    /// <summary>max_value of the call using the connection.</summary>
    public long MaxValue { get; set; } = CacheArgs.DefaultMaxValue;

    MemcachedConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<(MemcachedConnection Connection, bool Reused)> GetAsync(string host, int port, CancellationToken ct)
    {
        var key = host + "\n" + port;
        if (s_pool.TryGetValue(key, out var existing))
        {
            if (!existing.Broken) return (existing, true);
            if (s_pool.TryRemove(new KeyValuePair<string, MemcachedConnection>(key, existing))) await existing.DisposeAsync().ConfigureAwait(false);
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try { await socket.ConnectAsync(host, port, ct).ConfigureAwait(false); }
        catch { socket.Dispose(); throw; }
        var conn = new MemcachedConnection(socket);
        s_pool[key] = conn;
        return (conn, false);
    }

    /// <summary>The reply was not what the protocol allows: what is left of it is never read, so the connection is not reused.</summary>
    public void MarkBroken() => Broken = true;

    /// <summary>Sends one or more command lines (and data blocks), already framed.</summary>
    public async Task SendAsync(byte[] request, CancellationToken ct)
    {
        try { await _stream.WriteAsync(request, ct).ConfigureAwait(false); }
        catch { Broken = true; throw; }
    }

    /// <summary>The next reply line without its CRLF.</summary>
    public async Task<string> ReadLineAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var span = _buffer.AsSpan(_start, _end - _start);
                var nl = span.IndexOf((byte)'\n');
                if (nl >= 0)
                {
                    var line = Encoding.Latin1.GetString(span[..(nl > 0 && span[nl - 1] == '\r' ? nl - 1 : nl)]);
                    _start += nl + 1;
                    return line;
                }
                if (_end - _start >= 8192) throw new IOException("memcached sent a reply line longer than 8 KiB.");
                await FillAsync(ct).ConfigureAwait(false);
            }
        }
        catch { Broken = true; throw; }
    }

    /// <summary>A data block of <paramref name="length"/> bytes and its CRLF; refused (before any allocation) when longer than <see cref="MaxValue"/>.</summary>
    public async Task<byte[]> ReadBlockAsync(long length, CancellationToken ct)
    {
        try
        {
            if (length > MaxValue || length > Array.MaxLength) throw CacheReplyException.Large("A memcached value", length, MaxValue);
            var result = new byte[length];
            var got = 0;
            while (got < length)
            {
                if (_end == _start) await FillAsync(ct).ConfigureAwait(false);
                var n = (int)Math.Min(length - got, _end - _start);
                Buffer.BlockCopy(_buffer, _start, result, got, n);
                _start += n;
                got += n;
            }
            while (_end - _start < 2) await FillAsync(ct).ConfigureAwait(false);
            if (_buffer[_start] != '\r' || _buffer[_start + 1] != '\n') throw new IOException("memcached's data block did not end with CRLF.");
            _start += 2;
            return result;
        }
        catch { Broken = true; throw; }
    }

    async Task FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        var n = await _stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
        if (n == 0) throw new IOException("memcached closed the connection.");
        _end += n;
    }

    /// <summary>A command line (CRLF added), with an optional data block.</summary>
    public static byte[] Frame(string line, byte[]? data = null)
    {
        var head = Encoding.Latin1.GetBytes(line + "\r\n");
        if (data is null) return head;
        var all = new byte[head.Length + data.Length + 2];
        head.CopyTo(all, 0);
        data.CopyTo(all, head.Length);
        all[^2] = (byte)'\r';
        all[^1] = (byte)'\n';
        return all;
    }

    /// <summary>Keys are 1-250 bytes without spaces or control characters (the text protocol's rule); the key as it goes on a line.</summary>
    public static string CheckKey(byte[] key)
    {
        if (key.Length is 0 or > 250 || key.Any(c => c <= ' ' || c == 0x7f))
        {
            var shown = CacheValue.Show(key);
            throw ReshError.Usage($"`{(shown.Length > 40 ? shown[..40] + "…" : shown)}` is not a memcached key: 1-250 bytes, no spaces or control characters.",
                "Choose a key without whitespace.").ToException();
        }
        return Encoding.Latin1.GetString(key);
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        Gate.Dispose();
    }
}
