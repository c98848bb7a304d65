using System.Globalization;
using System.Text.Json.Nodes;

namespace Resh.Handles.Cache.Redis;

/// <summary>Parses the text of Redis INFO (<c># Section</c> headers, <c>field:value</c> lines) into {section: {field: value}}, numbers typed.</summary>
internal static class RedisInfo
{
    public static JsonObject Parse(string text)
    {
        // RESP3 verbatim strings carry a format prefix ("txt:") that StackExchange.Redis may leave in place.
        if (text.Length > 4 && text[3] == ':' && text.StartsWith("txt", StringComparison.Ordinal)) text = text[4..];
        var root = new JsonObject();
        var section = new JsonObject();
        root["default"] = section;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line[0] == '#')
            {
                var name = line.TrimStart('#').Trim().ToLowerInvariant();
                section = new JsonObject();
                root[name] = section;
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            section[line[..colon]] = Typed(line[(colon + 1)..]);
        }
        if (((JsonObject)root["default"]!).Count == 0) root.Remove("default");
        return root;
    }

    /// <summary>An integer or a decimal number when the text is exactly one, else the text.</summary>
    public static JsonNode Typed(string value)
    {
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (value.Length > 0 && (char.IsAsciiDigit(value[0]) || value[0] == '-') && !value.Contains(',')
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return JsonValue.Create(d);
        return JsonValue.Create(value);
    }

    /// <summary><c>keys=3,expires=0,avg_ttl=0</c> → 3.</summary>
    public static long? KeyspaceKeys(string text)
    {
        foreach (var part in text.Split(','))
            if (part.StartsWith("keys=", StringComparison.Ordinal) && long.TryParse(part.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
        return null;
    }

    public static string? Str(JsonObject fields, string section, string key) =>
        fields[section] is JsonObject s && s[key] is JsonValue v ? v.ToString() : null;

    public static long? Long(JsonObject fields, string section, string key) =>
        fields[section] is JsonObject s && s[key] is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;
}
