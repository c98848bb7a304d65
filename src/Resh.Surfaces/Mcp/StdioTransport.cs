using System.Buffers;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// MCP's stdio transport: one JSON-RPC message per line on stdin, one per line on stdout (writes serialised,
/// in the order they are made), nothing else on stdout. Ends on EOF: calls still running are cancelled.
/// </summary>
public sealed class StdioTransport(Stream input, Stream output) : IMcpSink
{
    /// <summary>A line longer than this is refused (-32700) and skipped, not buffered without bound.</summary>
    public const int MaxLine = 16 * 1024 * 1024;

    readonly Lock _writeLock = new();
    volatile bool _broken;

    /// <summary>Writing to stdout failed (the client went away): the session ends as on EOF.</summary>
    public bool Broken => _broken;

    public ValueTask SendAsync(ReadOnlyMemory<byte> message)
    {
        lock (_writeLock)
        {
            if (_broken) return ValueTask.CompletedTask;
            try
            {
                output.Write(message.Span);
                output.WriteByte((byte)'\n');
                output.Flush();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or Resh.Core.Platform.OutputStreamException)
            {
                _broken = true;
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Reads lines until EOF (or <paramref name="stop"/>) and hands each to the session.</summary>
    public async Task RunAsync(McpSession session, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        var line = new ArrayBufferWriter<byte>(64 * 1024);
        var skipping = false;
        while (!stop.IsCancellationRequested && !_broken)
        {
            int n;
            try { n = await input.ReadAsync(buffer, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            if (n == 0) break;
            var chunk = buffer.AsMemory(0, n);
            while (chunk.Length > 0)
            {
                var nl = chunk.Span.IndexOf((byte)'\n');
                var part = nl < 0 ? chunk : chunk[..nl];
                if (!skipping)
                {
                    if (line.WrittenCount + part.Length > MaxLine)
                    {
                        skipping = true;
                        line.Clear();
                        await SendAsync(JsonRpcWriter.Error(null, JsonRpcCodes.ParseError, $"Parse error: a message longer than {MaxLine / (1024 * 1024)} MiB was refused.")).ConfigureAwait(false);
                    }
                    else line.Write(part.Span);
                }
                if (nl < 0) break;
                if (!skipping) Deliver(session, line.WrittenSpan);
                skipping = false;
                line.Clear();
                chunk = chunk[(nl + 1)..];
            }
        }
        if (!skipping && line.WrittenCount > 0) Deliver(session, line.WrittenSpan); // a last message without its newline
    }

    static void Deliver(McpSession session, ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
        if (line.Trim(" \t"u8).IsEmpty) return;
        session.Receive(line);
    }
}
