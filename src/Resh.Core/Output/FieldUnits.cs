using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using Resh.Core.Model;
using Resh.Core.Values;

namespace Resh.Core.Output;

/// <summary>
/// Which result fields are sizes or durations, for the human view: by name (<c>rss_bytes</c>,
/// <c>elapsed_seconds</c>, <c>size</c>) or by a <see cref="UnitAttribute"/> on the result record.
/// </summary>
public sealed class FieldUnits
{
    readonly Dictionary<string, string> _declared = new(StringComparer.Ordinal);

    public static FieldUnits None { get; } = new();

    /// <summary>Reads the <see cref="UnitAttribute"/>s of a result type and every type nested in it.</summary>
    public static FieldUnits From(JsonTypeInfo? type)
    {
        var units = new FieldUnits();
        if (type is not null) units.Walk(type, new HashSet<Type>());
        return units;
    }

    void Walk(JsonTypeInfo type, HashSet<Type> seen)
    {
        if (!seen.Add(type.Type)) return;
        if (type.ElementType is { } element) { Nested(type, element, seen); return; }
        if (type.Kind != JsonTypeInfoKind.Object) return;
        foreach (var p in type.Properties)
        {
            if (p.AttributeProvider is { } provider)
                foreach (var a in provider.GetCustomAttributes(typeof(UnitAttribute), false))
                    if (a is UnitAttribute u) _declared[p.Name] = u.Unit;
            Nested(type, p.PropertyType, seen);
        }
    }

    void Nested(JsonTypeInfo owner, Type t, HashSet<Type> seen)
    {
        var inner = Nullable.GetUnderlyingType(t) ?? t;
        if (inner.IsPrimitive || inner == typeof(string) || inner == typeof(decimal)) return;
        try
        {
            if (owner.Options.TryGetTypeInfo(inner, out var info)) Walk(info, seen);
        }
        catch (NotSupportedException) { }
        catch (InvalidOperationException) { }
    }

    /// <summary>Every JSON field name in a result type and the types nested in it (for --columns).</summary>
    public static IReadOnlyCollection<string> FieldNames(JsonTypeInfo type)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        Collect(type, names, new HashSet<Type>());
        return names;
    }

    static void Collect(JsonTypeInfo type, HashSet<string> names, HashSet<Type> seen)
    {
        if (!seen.Add(type.Type)) return;
        if (type.ElementType is { } element) { CollectNested(type, element, names, seen); return; }
        if (type.Kind != JsonTypeInfoKind.Object) return;
        foreach (var p in type.Properties)
        {
            names.Add(p.Name);
            CollectNested(type, p.PropertyType, names, seen);
        }
    }

    static void CollectNested(JsonTypeInfo owner, Type t, HashSet<string> names, HashSet<Type> seen)
    {
        var inner = Nullable.GetUnderlyingType(t) ?? t;
        if (inner.IsPrimitive || inner == typeof(string) || inner == typeof(decimal)) return;
        try
        {
            if (owner.Options.TryGetTypeInfo(inner, out var info)) Collect(info, names, seen);
        }
        catch (NotSupportedException) { }
        catch (InvalidOperationException) { }
    }

    /// <summary>The unit of a field: declared, else from its name; null for plain numbers.</summary>
    public string? Of(string key)
    {
        if (_declared.TryGetValue(key, out var u)) return u;
        return ByName(key);
    }

    public static string? ByName(string key)
    {
        if (key is "bytes_per_second" || key.EndsWith("_bytes_per_second", StringComparison.Ordinal)) return UnitAttribute.BytesPerSecond;
        if (key is "size" or "bytes" || key.EndsWith("_bytes", StringComparison.Ordinal) || key.EndsWith("_size", StringComparison.Ordinal))
            return UnitAttribute.Bytes;
        if (key is "seconds" || key.EndsWith("_seconds", StringComparison.Ordinal)) return UnitAttribute.Seconds;
        if (key.EndsWith("_ms", StringComparison.Ordinal)) return UnitAttribute.Milliseconds;
        return null;
    }

    /// <summary>A column header without the unit the cells now show (RSS_BYTES → RSS).</summary>
    public static string HeaderOf(string key)
    {
        foreach (var suffix in (ReadOnlySpan<string>)["_bytes", "_seconds", "_ms"])
            if (key.EndsWith(suffix, StringComparison.Ordinal) && key.Length > suffix.Length) return key[..^suffix.Length];
        return key;
    }

    /// <summary>The human form of a number in <paramref name="unit"/>.</summary>
    public static string Humanize(double value, string unit) => unit switch
    {
        UnitAttribute.Bytes => SizeValue.Human((long)value),
        UnitAttribute.BytesPerSecond => SizeValue.Human((long)value) + "/s",
        UnitAttribute.Seconds => Duration(value),
        UnitAttribute.Milliseconds => value < 1000 ? value.ToString(value < 10 ? "0.##" : "0", CultureInfo.InvariantCulture) + " ms" : Duration(value / 1000),
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Seconds as an operator reads them: 850 ms, 4.2 s, 3m 05s, 2h 10m, 5d 03h.</summary>
    public static string Duration(double seconds)
    {
        if (seconds < 0) return "-" + Duration(-seconds);
        if (seconds < 1) return (seconds * 1000).ToString("0", CultureInfo.InvariantCulture) + " ms";
        if (seconds < 60) return seconds.ToString(seconds < 10 ? "0.#" : "0", CultureInfo.InvariantCulture) + " s";
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        if (t.TotalHours < 1) return $"{t.Minutes}m {t.Seconds:00}s";
        if (t.TotalDays < 1) return $"{(int)t.TotalHours}h {t.Minutes:00}m";
        return $"{(int)t.TotalDays}d {t.Hours:00}h";
    }
}
