namespace Resh.Surfaces.Mcp;

/// <summary>The `host` argument of an MCP call, as the ssh handle reads it (HostSpec): one host, or an expression that fans out.</summary>
public static class McpHosts
{
    /// <summary>
    /// True when the text may name more than one host: a list (a,b), an inventory group (@web), a range (web[01:20]),
    /// or a glob. A bracketed IPv6 address ([::1], user@[::1]:22) is one host.
    /// </summary>
    public static bool FansOut(string host)
    {
        if (host.StartsWith('@') || host.AsSpan().IndexOfAny(",*?{}!") >= 0) return true;
        var open = host.IndexOf('[');
        if (open < 0) return false;
        var at = host.IndexOf('@');
        var close = host.IndexOf(']');
        // One bracketed address right after the optional user, holding a colon, and no other bracket.
        return !(open == at + 1 && close > open && host.AsSpan(open + 1, close - open - 1).Contains(':')
                 && host.IndexOf('[', open + 1) < 0 && host.IndexOf(']', close + 1) < 0);
    }
}
