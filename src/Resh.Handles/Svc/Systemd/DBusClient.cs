using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Resh.Handles.Svc.Systemd;

/// <summary>An error reply from the peer (org.freedesktop.systemd1.NoSuchUnit, ...AccessDenied...).</summary>
internal sealed class DBusErrorException(string name, string message) : Exception(message)
{
    public string Name { get; } = name;
}

/// <summary>
/// A minimal synchronous D-Bus client: EXTERNAL auth over a Unix socket, method calls, replies decoded by
/// signature. resh needs a handful of calls to systemd, and this works on systemd's private peer-to-peer
/// socket (no Hello, no bus daemon) as well as through the system bus.
/// </summary>
internal sealed class DBusClient : IDisposable
{
    readonly Socket _socket;
    uint _serial;
    byte[] _buffer = new byte[64 * 1024];
    int _have;

    DBusClient(Socket socket) => _socket = socket;

    public static DBusClient Connect(string socketPath, bool isBus, uint uid, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            ReceiveTimeout = (int)timeout.TotalMilliseconds,
            SendTimeout = (int)timeout.TotalMilliseconds,
        };
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            var client = new DBusClient(socket);
            client.Authenticate(uid);
            if (isBus) client.Call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", "", null);
            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _socket.Dispose();

    void Authenticate(uint uid)
    {
        var hexUid = Convert.ToHexString(Encoding.ASCII.GetBytes(uid.ToString(CultureInfo.InvariantCulture))).ToLowerInvariant();
        _socket.Send(Encoding.ASCII.GetBytes($"\0AUTH EXTERNAL {hexUid}\r\n"));
        var line = ReadLine();
        if (!line.StartsWith("OK ", StringComparison.Ordinal)) throw new IOException($"D-Bus authentication was refused: {line}");
        _socket.Send("BEGIN\r\n"u8.ToArray());
    }

    string ReadLine()
    {
        while (true)
        {
            var nl = Array.IndexOf(_buffer, (byte)'\n', 0, _have);
            if (nl >= 0)
            {
                var line = Encoding.ASCII.GetString(_buffer, 0, nl).TrimEnd('\r');
                Consume(nl + 1);
                return line;
            }
            Fill();
        }
    }

    void Fill()
    {
        if (_have == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        var n = _socket.Receive(_buffer, _have, _buffer.Length - _have, SocketFlags.None);
        if (n <= 0) throw new IOException("The D-Bus peer closed the connection.");
        _have += n;
    }

    void Consume(int n)
    {
        Buffer.BlockCopy(_buffer, n, _buffer, 0, _have - n);
        _have -= n;
    }

    /// <summary>Calls a method and returns the reply's values decoded by its signature.</summary>
    public List<object?> Call(string? destination, string path, string @interface, string member, string signature, Action<DBusWriter>? writeBody)
    {
        var body = new DBusWriter();
        writeBody?.Invoke(body);
        var serial = ++_serial;
        var h = new DBusWriter();
        h.Byte((byte)'l'); h.Byte(1); h.Byte(0); h.Byte(1);
        h.U32((uint)body.Length);
        h.U32(serial);
        h.U32(0);
        int lenAt = h.Length - 4;
        int start = h.Length;
        Field(h, 1, "o", w => w.String(path));
        Field(h, 2, "s", w => w.String(@interface));
        Field(h, 3, "s", w => w.String(member));
        if (destination is not null) Field(h, 6, "s", w => w.String(destination));
        if (signature.Length > 0) Field(h, 8, "g", w => w.Signature(signature));
        h.PatchU32(lenAt, (uint)(h.Length - start));
        h.Align(8);
        var message = new byte[h.Length + body.Length];
        h.ToArray().CopyTo(message, 0);
        body.ToArray().CopyTo(message, h.Length);
        _socket.Send(message);
        // systemd's server sometimes leaves a message it has already received unread until more input
        // arrives (always so for one queued behind BEGIN). Ping while the reply is late: each ping is new
        // input and needs no answer. Back off from 1 ms to 0.5 s. This holds for the whole wait, not only
        // until the first bytes: systemd sends every private connection its signals unasked (Reloading when
        // another client runs daemon-reload), and a call whose reply comes after such a signal must not then
        // block in a bare read. The socket timeout bounds the time without any input.
        var quiet = System.Diagnostics.Stopwatch.StartNew();
        var waitUs = 1000;
        while (true)
        {
            if (WholeMessageLength() < 0)
            {
                if (_socket.Poll(waitUs, SelectMode.SelectRead))
                {
                    Fill();
                    quiet.Restart();
                    waitUs = 1000;
                    continue;
                }
                if (quiet.ElapsedMilliseconds >= _socket.ReceiveTimeout) throw new SocketException((int)SocketError.TimedOut);
                Ping();
                waitUs = Math.Min(waitUs * 2, 500_000);
                continue;
            }
            var (type, replySerial, errorName, sig, bodyStart, total) = ReadMessage();
            try
            {
                if ((type != 2 && type != 3) || replySerial != serial) continue; // signals, other replies
                var reader = new DBusReader(_buffer, bodyStart, total);
                var values = sig.Length == 0 ? [] : reader.ReadAll(sig);
                if (type == 3) throw new DBusErrorException(errorName ?? "org.freedesktop.DBus.Error.Failed", values.FirstOrDefault() as string ?? errorName ?? "D-Bus error");
                return values;
            }
            finally
            {
                Consume(total);
            }
        }
    }

    /// <summary>The length of the whole message at the start of the buffer, or -1 while it has not all arrived.</summary>
    int WholeMessageLength()
    {
        if (_have < 16) return -1;
        if (_buffer[0] != (byte)'l') return 16; // ReadMessage refuses it
        var headerLen = 16L + BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(12));
        headerLen += (8 - headerLen % 8) % 8;
        var total = headerLen + BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(4));
        // The specification's limit for a whole message.
        if (total > 128L << 20) throw new InvalidDataException("The D-Bus peer sent a message over 128 MiB.");
        return _have >= total ? (int)total : -1;
    }

    /// <summary>org.freedesktop.DBus.Peer.Ping with NO_REPLY_EXPECTED: new input that makes the peer read its queue.</summary>
    void Ping()
    {
        var h = new DBusWriter();
        h.Byte((byte)'l'); h.Byte(1); h.Byte(1); h.Byte(1);
        h.U32(0);
        h.U32(++_serial);
        h.U32(0);
        int lenAt = h.Length - 4;
        int start = h.Length;
        Field(h, 1, "o", w => w.String("/org/freedesktop/systemd1"));
        Field(h, 2, "s", w => w.String("org.freedesktop.DBus.Peer"));
        Field(h, 3, "s", w => w.String("Ping"));
        h.PatchU32(lenAt, (uint)(h.Length - start));
        h.Align(8);
        _socket.Send(h.ToArray());
    }

    static void Field(DBusWriter w, byte code, string sig, Action<DBusWriter> value)
    {
        w.Align(8);
        w.Byte(code);
        w.Signature(sig);
        value(w);
    }

    /// <summary>Reads one whole message into the buffer; returns where its body starts and its total length.</summary>
    (byte Type, uint ReplySerial, string? ErrorName, string Signature, int BodyStart, int Total) ReadMessage()
    {
        while (_have < 16) Fill();
        if (_buffer[0] != (byte)'l') throw new IOException("Big-endian D-Bus messages are not supported.");
        var bodyLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(4));
        var fieldsLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(12));
        var headerLen = 16 + fieldsLen;
        headerLen += (8 - headerLen % 8) % 8;
        var total = headerLen + bodyLen;
        while (_have < total) Fill();
        var reader = new DBusReader(_buffer, 0, 16 + fieldsLen);
        reader.ReadAll("yyyyuu"); // fixed part
        var fields = (List<object?>)reader.ReadAll("a(yv)")[0]!;
        uint replySerial = 0;
        string? errorName = null;
        string sig = "";
        foreach (object?[] f in fields.Cast<object?[]>())
        {
            switch ((byte)f[0]!)
            {
                case 4: errorName = f[1] as string; break;
                case 5: replySerial = f[1] is uint u ? u : 0; break;
                case 8: sig = f[1] as string ?? ""; break;
            }
        }
        return (_buffer[1], replySerial, errorName, sig, headerLen, total);
    }
}
