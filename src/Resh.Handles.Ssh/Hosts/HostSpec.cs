using System.Net;
using Resh.Core.Errors;

namespace Resh.Handles.Ssh.Hosts;

/// <summary>
/// The HOST part of <c>ssh://HOST/...</c>: one host (<c>[user@]name[:port]</c>) or many
/// (<c>a,b,c</c>, ranges <c>web[01:20]</c> and <c>db[a:c]</c>, <c>@group</c> from an inventory).
/// Whether the call fans out is decided by the spelling, not by how many hosts it yields, so a
/// script always gets the same envelope shape for the same spelling.
/// </summary>
public sealed class HostSpec
{
    public const int MaxHosts = 10_000;

    HostSpec(string text, bool isFleet, IReadOnlyList<HostItem> items)
    {
        Text = text;
        IsFleet = isFleet;
        Items = items;
    }

    public string Text { get; }
    public bool IsFleet { get; }
    public IReadOnlyList<HostItem> Items { get; }

    /// <summary>One comma-separated item: a group reference or a host pattern with optional user and port.</summary>
    public sealed record HostItem(string? Group, IReadOnlyList<string> Names, string? User, int? Port);

    public static HostSpec Parse(string text)
    {
        if (text.Length == 0)
            throw ReshError.Usage("No host given.", "Name one: ssh://box/system://.hostname, or many: ssh://web[01:03]/..., ssh://@group/...").ToException();
        var items = new List<HostItem>();
        var parts = SplitTopLevel(text);
        bool fleet = parts.Count > 1;
        int total = 0;
        foreach (var raw in parts)
        {
            var item = ParseItem(raw.Trim(), text);
            if (item.Group is not null || item.Names.Count != 1 || raw.Contains('[') && !IsBracketedAddress(raw)) fleet = true;
            total += item.Names.Count;
            if (total > MaxHosts)
                throw ReshError.Usage($"`{Clip(text)}` names more than {MaxHosts} hosts.", "Use smaller ranges or an inventory group.").ToException();
            items.Add(item);
        }
        return new HostSpec(text, fleet, items);
    }

    static HostItem ParseItem(string item, string whole)
    {
        if (item.Length == 0)
            throw ReshError.Usage($"`{Clip(whole)}` has an empty host between commas.", "Write hosts as a,b,c.").ToException();
        if (item[0] == '@')
        {
            var group = item[1..];
            if (!IsName(group))
                throw ReshError.Usage($"`{Clip(item)}` is not a group name.", "Groups are letters, digits, '_', '-' and '.': @web, @db-prod.").ToException();
            return new HostItem(group, [], null, null);
        }

        string? user = null;
        var at = item.LastIndexOf('@');
        if (at >= 0)
        {
            user = item[..at];
            item = item[(at + 1)..];
            if (!IsUser(user))
                throw ReshError.Usage($"`{Clip(user)}` is not a valid user name.", "Write user@host with a plain login name.").ToException();
        }

        int? port = null;
        string host;
        if (item.StartsWith('[') && IsBracketedAddress(item))
        {
            // [::1] or [::1]:2222, an IPv6 literal.
            var close = item.IndexOf(']');
            host = item[1..close];
            var rest = item[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':' || !TryPort(rest[1..], out var p)) throw BadHost(item);
                port = p;
            }
            return new HostItem(null, [host], user, port);
        }

        var colon = LastTopLevelColon(item);
        if (colon >= 0)
        {
            if (!TryPort(item[(colon + 1)..], out var p))
                throw ReshError.Usage($"`{Clip(item[(colon + 1)..])}` is not a port.", "Write host:port with a port from 1 to 65535.").ToException();
            port = p;
            item = item[..colon];
        }
        var names = HostRange.Expand(item);
        foreach (var n in names)
            if (!IsHostName(n)) throw BadHost(n);
        return new HostItem(null, names, user, port);
    }

    static ReshException BadHost(string host) => ReshError.Usage($"`{Clip(host)}` is not a valid host name.",
        "Use a name from ~/.ssh/config, a DNS name or an address; names cannot start with '-' or hold spaces or quotes.").ToException();

    static bool IsBracketedAddress(string item)
    {
        var s = item.Trim();
        var at = s.LastIndexOf('@');
        if (at >= 0) s = s[(at + 1)..];
        if (!s.StartsWith('[')) return false;
        var close = s.IndexOf(']');
        return close > 1 && IPAddress.TryParse(s[1..close], out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
    }

    static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '[') depth++;
            else if (text[i] == ']') depth = Math.Max(0, depth - 1);
            else if (text[i] == ',' && depth == 0) { parts.Add(text[start..i]); start = i + 1; }
        }
        parts.Add(text[start..]);
        return parts;
    }

    static int LastTopLevelColon(string s)
    {
        int depth = 0, found = -1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '[') depth++;
            else if (s[i] == ']') depth--;
            else if (s[i] == ':' && depth == 0) found = i;
        }
        return found;
    }

    static bool TryPort(string s, out int port) => int.TryParse(s, System.Globalization.NumberStyles.None, null, out port) && port is >= 1 and <= 65535;

    public static bool IsName(string s) => s.Length is > 0 and <= 128 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    /// <summary>A login name: no option-looking leading '-', nothing a shell or ssh would read specially.</summary>
    public static bool IsUser(string s) => s.Length is > 0 and <= 64 && s[0] != '-' && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '$');

    /// <summary>A host name, alias or address ssh can be handed safely as its destination argument.</summary>
    public static bool IsHostName(string s) => s.Length is > 0 and <= 253 && s[0] != '-' && s[0] != '.'
        && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '%');

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
