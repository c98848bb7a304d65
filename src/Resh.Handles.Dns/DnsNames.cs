using System.Net;
using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.Dns;

/// <summary>Checks the names users give (targets, zone=, values' names) before they go on the wire.</summary>
internal static class DnsNames
{
    /// <summary>
    /// The name as a fully qualified ASCII name with a trailing dot ("." for the root). Host-name bytes only
    /// (letters, digits, hyphen, underscore, a leading `*` label); anything else, a label over 63 bytes or a
    /// name over 253 is refused with `usage`, naming the byte.
    /// </summary>
    public static string Fqdn(string text, string what = "name")
    {
        var name = text.Trim();
        if (name is "" or ".") return ".";
        if (name.EndsWith('.')) name = name[..^1];
        if (name.Length > 253)
            throw Bad(text, what, $"it is {name.Length} characters long (at most 253)");
        var labels = name.Split('.');
        for (int l = 0; l < labels.Length; l++)
        {
            var label = labels[l];
            if (label.Length == 0) throw Bad(text, what, "it has an empty label (two dots in a row)");
            if (label.Length > 63) throw Bad(text, what, $"the label `{Clip(label)}` is {label.Length} bytes long (at most 63)");
            if (label == "*" && l == 0) continue;
            foreach (var c in label)
            {
                if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_') continue;
                var shown = c < 0x20 || c == 0x7f ? $"control byte 0x{(int)c:X2}" : c > 0x7e ? $"non-ASCII character U+{(int)c:X4}" : $"`{c}`";
                throw Bad(text, what, $"it contains {shown}");
            }
        }
        return name + ".";
    }

    static ReshException Bad(string text, string what, string why) => new(ReshError.Usage(
        $"`{Clip(Printable(text))}` is not a valid DNS {what}: {why}.",
        "DNS names are ASCII letters, digits, hyphens and underscores in dot-separated labels; give an internationalised name in its xn-- form."));

    /// <summary>The in-addr.arpa or ip6.arpa name of an address.</summary>
    public static string ArpaName(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        var sb = new StringBuilder();
        if (bytes.Length == 4)
        {
            for (int i = 3; i >= 0; i--) sb.Append(bytes[i]).Append('.');
            return sb.Append("in-addr.arpa.").ToString();
        }
        for (int i = 15; i >= 0; i--)
            sb.Append("0123456789abcdef"[bytes[i] & 0xf]).Append('.').Append("0123456789abcdef"[bytes[i] >> 4]).Append('.');
        return sb.Append("ip6.arpa.").ToString();
    }

    /// <summary>Lower-case, trailing dot: how names are compared.</summary>
    public static string Canonical(string name) => (name.EndsWith('.') ? name : name + ".").ToLowerInvariant();

    static string Printable(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s) sb.Append(c < 0x20 || c == 0x7f ? $"\\x{(int)c:X2}" : c.ToString());
        return sb.ToString();
    }

    static string Clip(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
