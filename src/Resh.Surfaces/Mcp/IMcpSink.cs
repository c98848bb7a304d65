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

/// <summary>
/// Where one request's messages go on a transport that answers each request on its own (Streamable HTTP: the POST's
/// response, or its event stream): what the call sends while it runs (progress, elicitation), then its answer.
/// </summary>
public interface IMcpExchange : IMcpSink
{
    /// <summary>The request's answer, or null when it gets none (the client cancelled it); nothing follows.</summary>
    void Answer(byte[]? answer);
}
