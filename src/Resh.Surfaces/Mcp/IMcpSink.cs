namespace Resh.Surfaces.Mcp;

/// <summary>
/// Where a session's outgoing messages go: a line on stdout for the stdio transport; a Streamable HTTP
/// transport would write them to the response (or its SSE stream). Implementations serialise concurrent sends.
/// </summary>
public interface IMcpSink
{
    /// <summary>Sends one complete JSON-RPC message (UTF-8 JSON, no framing).</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> message);
}
