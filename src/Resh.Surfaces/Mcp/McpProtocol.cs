namespace Resh.Surfaces.Mcp;

/// <summary>Protocol versions and the method names this server knows.</summary>
public static class McpProtocol
{
    public const string Latest = "2025-11-25";

    /// <summary>Newest first: a client asking for one of these gets it; any other gets <see cref="Latest"/> (the client then decides).</summary>
    public static readonly string[] Supported = [Latest, "2025-06-18", "2025-03-26", "2024-11-05"];

    public static string Negotiate(string? requested) =>
        requested is not null && Array.IndexOf(Supported, requested) >= 0 ? requested : Latest;

    /// <summary>MCP's code for a resource URI the server does not have.</summary>
    public const int ResourceNotFound = -32002;
}
