using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Resh.Core.Output;

namespace Resh.Core.Pipeline;

/// <summary>
/// Reading fields of an item: <c>name</c>, a dotted path into nested objects (<c>item.pid</c>), or a name without its
/// unit suffix (<c>rss</c> for <c>rss_bytes</c>, as --columns allows).
/// </summary>
public static class ItemFields
{
    /// <summary>The value of a field, and whether the item has it at all (a JSON null is present).</summary>
    public static bool TryGet(JsonObject item, string field, out JsonNode? value, out string key)
    {
        key = field;
        if (item.TryGetPropertyValue(field, out value)) return true;
        var dot = field.IndexOf('.');
        if (dot > 0 && item.TryGetPropertyValue(field[..dot], out var inner) && inner is JsonObject o)
            return TryGet(o, field[(dot + 1)..], out value, out key);
        foreach (var (k, v) in item)
        {
            if (!TableRenderer.Matches(k, field)) continue;
            value = v;
            key = k;
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>A field's value as text: a string as it is, anything else as its JSON.</summary>
    public static string Text(JsonNode? v) => v switch
    {
        null => "null",
        JsonValue s when s.GetValueKind() == JsonValueKind.String => s.GetValue<string>(),
        _ => v.ToJsonString(),
    };

    /// <summary>
    /// A JSON number's value. GetValue&lt;double&gt; throws for a number made in-process from an int or a long (the
    /// `count` of `| count`, a group's `count`): such a value is read through its JSON text (s41).
    /// </summary>
    public static double Number(JsonNode v) =>
        v is JsonValue jv && jv.TryGetValue<double>(out var d) ? d : double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    public static bool TryNumber(JsonNode? v, out double d)
    {
        d = 0;
        if (v is not JsonValue jv) return false;
        if (jv.GetValueKind() == JsonValueKind.Number) { d = Number(jv); return true; }
        return jv.GetValueKind() == JsonValueKind.String
            && double.TryParse(jv.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
    }

    /// <summary>
    /// The field names of the items a result type emits (its element type when it is a list, else the element type of
    /// its list field), or null when the type does not say (a JSON tree, such as a remote host's answer). An empty set
    /// means the result has no list.
    /// </summary>
    public static HashSet<string>? OfResultType(JsonTypeInfo? type)
    {
        if (type is null || type.Type == typeof(JsonNode) || type.Type == typeof(JsonObject) || type.Type == typeof(JsonElement)) return null;
        if (type.ElementType is { } e) return Element(type, e);
        if (type.Kind != JsonTypeInfoKind.Object) return [];
        var notItems = NdjsonLines.NotItemsOf(type);
        foreach (var p in type.Properties)
        {
            if (notItems?.Contains(p.Name) == true) continue;
            var t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            if (t == typeof(string) || t.IsPrimitive) continue;
            try
            {
                if (type.Options.TryGetTypeInfo(t, out var info) && info.Kind == JsonTypeInfoKind.Enumerable && info.ElementType is { } el
                    && Element(type, el) is { Count: > 0 } fields) return fields;
            }
            catch (NotSupportedException) { }
            catch (InvalidOperationException) { }
        }
        return [];
    }

    static HashSet<string>? Element(JsonTypeInfo owner, Type element)
    {
        var t = Nullable.GetUnderlyingType(element) ?? element;
        if (t == typeof(JsonNode) || t == typeof(JsonObject)) return null;
        try
        {
            if (owner.Options.TryGetTypeInfo(t, out var info) && info.Kind == JsonTypeInfoKind.Object)
                return info.Properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        }
        catch (NotSupportedException) { }
        catch (InvalidOperationException) { }
        return ["value"];
    }

    /// <summary>True when a known field set has the field (exactly, by its first dotted part, or without its unit suffix).</summary>
    public static bool Knows(IReadOnlySet<string> fields, string field)
    {
        var head = field.IndexOf('.') is var dot and > 0 ? field[..dot] : field;
        return fields.Contains(field) || fields.Contains(head) || fields.Any(f => TableRenderer.Matches(f, field));
    }
}
