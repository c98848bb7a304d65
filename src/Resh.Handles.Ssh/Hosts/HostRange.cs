using System.Globalization;
using Resh.Core.Errors;

namespace Resh.Handles.Ssh.Hosts;

/// <summary>
/// Ansible-style host ranges: <c>web[01:20]</c> (zero padding kept), <c>db[a:c]</c>,
/// <c>n[0:10:2]</c> (a stride); several ranges in one name multiply.
/// </summary>
public static class HostRange
{
    public static IReadOnlyList<string> Expand(string pattern)
    {
        var open = pattern.IndexOf('[');
        if (open < 0)
        {
            if (pattern.Contains(']')) throw Bad(pattern, "a `]` without its `[`");
            return [pattern];
        }
        var close = pattern.IndexOf(']', open);
        if (close < 0) throw Bad(pattern, "a `[` without its `]`");
        var prefix = pattern[..open];
        var body = pattern[(open + 1)..close];
        var suffixes = Expand(pattern[(close + 1)..]);
        var values = Values(body, pattern);
        if ((long)values.Count * suffixes.Count > HostSpec.MaxHosts)
            throw ReshError.Usage($"`{pattern}` names more than {HostSpec.MaxHosts} hosts.", "Use smaller ranges.").ToException();
        var result = new List<string>(values.Count * suffixes.Count);
        foreach (var v in values)
            foreach (var s in suffixes)
                result.Add(prefix + v + s);
        return result;
    }

    static List<string> Values(string body, string pattern)
    {
        var parts = body.Split(':');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0))
            throw Bad(pattern, $"`[{body}]` is not a range like [01:20] or [a:f]");
        int stride = 1;
        if (parts.Length == 3 && (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out stride) || stride < 1))
            throw Bad(pattern, "the stride must be a positive number");
        var values = new List<string>();
        if (parts[0].All(char.IsAsciiDigit) && parts[1].All(char.IsAsciiDigit))
        {
            if (!long.TryParse(parts[0], CultureInfo.InvariantCulture, out var from) || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var to))
                throw Bad(pattern, "the bounds are too large");
            if (to < from) throw Bad(pattern, "the range ends before it starts");
            if ((to - from) / stride + 1 > HostSpec.MaxHosts)
                throw ReshError.Usage($"`{pattern}` names more than {HostSpec.MaxHosts} hosts.", "Use smaller ranges.").ToException();
            var width = parts[0].Length > 1 && parts[0][0] == '0' ? parts[0].Length : 0;
            for (var n = from; n <= to; n += stride) values.Add(n.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0'));
            return values;
        }
        if (parts[0].Length == 1 && parts[1].Length == 1 && char.IsAsciiLetter(parts[0][0]) && char.IsAsciiLetter(parts[1][0]))
        {
            if (parts[1][0] < parts[0][0]) throw Bad(pattern, "the range ends before it starts");
            for (var c = parts[0][0]; c <= parts[1][0]; c = (char)(c + stride)) values.Add(c.ToString());
            return values;
        }
        throw Bad(pattern, $"`[{body}]` is not a range like [01:20] or [a:f]");
    }

    static ReshException Bad(string pattern, string why) =>
        ReshError.Usage($"Host pattern `{pattern}` is not valid: {why}.", "Ranges look like web[01:20], db[a:c] or n[0:10:2].").ToException();
}
