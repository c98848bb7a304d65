using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Config.Formats;

/// <summary>TOML text of values and whole documents.</summary>
internal static class TomlText
{
    public static string Key(string key) => Tomlyn.Syntax.BareKeySyntax.IsBareKey(key) ? key : String(key);

    public static string String(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < ' ' || c == '\x7f') sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>A value on one line; a string keeps literal quoting ('...') when it had it and still can.</summary>
    public static string Inline(JsonNode? value, char quote = '"')
    {
        switch (value)
        {
            case null:
                throw ReshError.Usage("TOML has no null value.", "Delete the key instead, or set an empty string (value=).").ToException();
            case JsonObject o:
                return o.Count == 0 ? "{}" : "{ " + string.Join(", ", o.Select(p => Key(p.Key) + " = " + Inline(p.Value))) + " }";
            case JsonArray a:
                return "[" + string.Join(", ", a.Select(x => Inline(x))) + "]";
        }
        var v = (JsonValue)value;
        switch (v.GetValueKind())
        {
            case JsonValueKind.String:
                var s = v.GetValue<string>();
                if (quote == '\'' && !s.Contains('\'') && !s.Any(c => c < ' ' || c == '\x7f')) return "'" + s + "'";
                return String(s);
            case JsonValueKind.True: return "true";
            case JsonValueKind.False: return "false";
            case JsonValueKind.Number:
                var text = v.ToJsonString();
                if (text.Contains('.') || text.Contains('e') || text.Contains('E'))
                {
                    var d = v.GetValue<double>();
                    var r = d.ToString("R", CultureInfo.InvariantCulture);
                    return r.Contains('.') || r.Contains('E') ? r.Replace("E", "e", StringComparison.Ordinal) : r + ".0";
                }
                return text;
            default:
                return JsonText.Scalar(v);
        }
    }

    static bool IsTableArray(JsonNode? n) => n is JsonArray { Count: > 0 } a && a.All(x => x is JsonObject);

    /// <summary>A whole document: plain keys first, then [tables] and [[arrays of tables]].</summary>
    public static string Document(JsonNode? data)
    {
        if (data is not JsonObject root)
            throw ReshError.Usage("A TOML document is a table at the top.", "Convert an object, not a list or a single value.").ToException();
        var sb = new StringBuilder();
        Table(sb, root, []);
        return sb.ToString().TrimStart('\n');
    }

    public static void Table(StringBuilder sb, JsonObject table, List<string> path, bool arrayItem = false)
    {
        var simple = table.Where(p => p.Value is not JsonObject && !IsTableArray(p.Value)).ToList();
        var nested = table.Where(p => p.Value is JsonObject || IsTableArray(p.Value)).ToList();
        if (path.Count > 0 && (arrayItem || simple.Count > 0 || nested.Count == 0))
        {
            if (sb.Length > 0) sb.Append('\n');
            var name = string.Join(".", path.Select(Key));
            sb.Append(arrayItem ? "[[" + name + "]]" : "[" + name + "]").Append('\n');
        }
        foreach (var (k, v) in simple) sb.Append(Key(k)).Append(" = ").Append(Inline(v)).Append('\n');
        foreach (var (k, v) in nested)
        {
            var p = new List<string>(path) { k };
            if (v is JsonObject o) Table(sb, o, p);
            else foreach (var item in (JsonArray)v!) Table(sb, (JsonObject)item!, p, arrayItem: true);
        }
    }
}
