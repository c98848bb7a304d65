using System.Net.Sockets;
using System.Text;

namespace Resh.Cli.Tests.Agent;

/// <summary>
/// A bare NATS client speaking the text protocol (CONNECT, SUB, PUB, MSG), so tests can capture the exact bytes a caller
/// published and publish bytes of their own (replays, forgeries, garbage) the way a compromised broker or client could.
/// </summary>
public sealed class RawNats : IDisposable
{
    readonly TcpClient _tcp = new();
    readonly NetworkStream _stream;
    readonly List<byte> _buffer = [];
    int _sid;

    public RawNats(int port)
    {
        _tcp.Connect("127.0.0.1", port);
        _stream = _tcp.GetStream();
        _stream.ReadTimeout = 15000;
        ReadLine(); // INFO
        Send("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"test\"}\r\nPING\r\n");
        while (ReadLine() != "PONG") { }
    }

    void Send(string text) => _stream.Write(Encoding.UTF8.GetBytes(text));

    /// <summary>Subscribes and waits until the server has it (a PING answered).</summary>
    public void Subscribe(string subject)
    {
        Send($"SUB {subject} {++_sid}\r\nPING\r\n");
        while (ReadLine() != "PONG") { }
    }

    public void Publish(string subject, byte[] data, string? replyTo = null)
    {
        Send($"PUB {subject}{(replyTo is null ? "" : " " + replyTo)} {data.Length}\r\n");
        _stream.Write(data);
        Send("\r\n");
        _stream.Flush();
    }

    /// <summary>The next message (subject, reply-to, payload), or null when none came within <paramref name="wait"/>.</summary>
    public (string Subject, string? ReplyTo, byte[] Data)? Next(TimeSpan wait)
    {
        var end = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < end)
        {
            _stream.ReadTimeout = (int)Math.Max(1, (end - DateTime.UtcNow).TotalMilliseconds);
            string line;
            try { line = ReadLine(); }
            catch (IOException) { return null; }
            if (line == "PING") { Send("PONG\r\n"); continue; }
            if (!line.StartsWith("MSG ", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ');
            var size = int.Parse(parts[^1]);
            var data = ReadBytes(size + 2)[..size];
            return (parts[1], parts.Length == 5 ? parts[3] : null, data);
        }
        return null;
    }

    string ReadLine()
    {
        while (true)
        {
            var idx = IndexOfCrLf();
            if (idx >= 0)
            {
                var line = Encoding.UTF8.GetString(_buffer.GetRange(0, idx).ToArray());
                _buffer.RemoveRange(0, idx + 2);
                return line;
            }
            Fill();
        }
    }

    byte[] ReadBytes(int n)
    {
        while (_buffer.Count < n) Fill();
        var bytes = _buffer.GetRange(0, n).ToArray();
        _buffer.RemoveRange(0, n);
        return bytes;
    }

    void Fill()
    {
        var chunk = new byte[65536];
        var read = _stream.Read(chunk);
        if (read <= 0) throw new IOException("NATS closed the connection");
        _buffer.AddRange(chunk.AsSpan(0, read).ToArray());
    }

    int IndexOfCrLf()
    {
        for (int i = 0; i + 1 < _buffer.Count; i++)
            if (_buffer[i] == '\r' && _buffer[i + 1] == '\n') return i;
        return -1;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
