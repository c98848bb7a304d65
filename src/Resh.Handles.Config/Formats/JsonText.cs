using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Handles.Config.Formats;

/// <summary>JSON text of values, indented with a given unit from a given indentation (to fit an existing file).</summary>
internal static class JsonText
{
    static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Scalar(JsonNode? value) => value is null ? "null" : value.ToJsonString(Relaxed);

    public static string String(string s) => JsonValue.Create(s).ToJsonString(Relaxed);

    /// <summary>Multi-line JSON: nested lines start with <paramref name="indent"/> plus units; the first line has no indent.</summary>
    public static string Pretty(JsonNode? node, string unit, string indent, string nl = "\n", bool compactEmpty = true)
    {
        var sb = new StringBuilder();
        Write(sb, node, unit, indent, nl);
        return sb.ToString();
    }

    static void Write(StringBuilder sb, JsonNode? node, string unit, string indent, string nl)
    {
        switch (node)
        {
            case JsonObject o when o.Count == 0: sb.Append("{}"); break;
            case JsonArray a when a.Count == 0: sb.Append("[]"); break;
            case JsonObject o:
                sb.Append('{').Append(nl);
                int i = 0;
                foreach (var (k, v) in o)
                {
                    sb.Append(indent).Append(unit).Append(String(k)).Append(": ");
                    Write(sb, v, unit, indent + unit, nl);
                    if (++i < o.Count) sb.Append(',');
                    sb.Append(nl);
                }
                sb.Append(indent).Append('}');
                break;
            case JsonArray a:
                sb.Append('[').Append(nl);
                for (int j = 0; j < a.Count; j++)
                {
                    sb.Append(indent).Append(unit);
                    Write(sb, a[j], unit, indent + unit, nl);
                    if (j + 1 < a.Count) sb.Append(',');
                    sb.Append(nl);
                }
                sb.Append(indent).Append(']');
                break;
            default: sb.Append(Scalar(node)); break;
        }
    }

    /// <summary>One line: <c>{"a": 1, "b": [1, 2]}</c>.</summary>
    public static string Inline(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o: return "{" + string.Join(", ", o.Select(p => String(p.Key) + ": " + Inline(p.Value))) + "}";
            case JsonArray a: return "[" + string.Join(", ", a.Select(Inline)) + "]";
            default: return Scalar(node);
        }
    }

    /// <summary>A number from its text: integers as long (or decimal when larger), others as double.</summary>
    public static JsonNode Number(string text)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (!text.Contains('e', StringComparison.OrdinalIgnoreCase) && !text.Contains('.')
            && decimal.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var m)) return JsonValue.Create(m);
        // An integer beyond decimal keeps its digits (a double would round it, or be infinite past 1e308: s36 attacker #7).
        var digits = text.StartsWith('-') ? text.AsSpan(1) : text.AsSpan();
        if (digits.Length > 1 && digits[0] != '0' && !digits.ContainsAnyExcept("0123456789"))
            return JsonNode.Parse(text)!;
        return JsonValue.Create(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
    }
}
