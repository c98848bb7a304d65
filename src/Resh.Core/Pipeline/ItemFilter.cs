using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Core.Pipeline;

/// <summary>
/// A built-in filter over items: <c>where EXPR</c>, <c>select a,b</c>, <c>sort [-]field</c> (also <c>sort field desc</c>),
/// <c>first [N]</c>, <c>last [N]</c>, <c>count</c>, <c>unique [field]</c>, <c>group field</c>. Each takes the items and
/// gives items (count gives one item {count}; group gives one item per value {FIELD, count, items}).
/// </summary>
public sealed class ItemFilter
{
    public static readonly string[] Names = ["where", "select", "sort", "first", "last", "count", "unique", "group"];

    public required string Name { get; init; }
    public required string Text { get; init; }
    /// <summary>The fields this filter reads (for the warning when no item has one).</summary>
    public IReadOnlyList<string> Reads { get; init; } = [];
    ItemQuery? _query;
    IReadOnlyList<string> _fields = [];
    bool _descending;
    int _n;

    public static bool IsFilter(string word) => Array.IndexOf(Names, word) >= 0;

    /// <summary>Parses a filter segment: its first word names the filter, the rest of its text are its operands.</summary>
    public static ItemFilter Parse(string text)
    {
        text = text.Trim();
        var sp = text.IndexOfAny([' ', '\t']);
        var name = sp < 0 ? text : text[..sp];
        var rest = sp < 0 ? "" : text[(sp + 1)..].Trim();
        var words = rest.Length == 0 ? [] : PipelineSyntax.Words(rest);
        switch (name)
        {
            case "where":
                var q = ItemQuery.Parse(rest);
                return new ItemFilter { Name = name, Text = text, _query = q, Reads = q.Fields.Distinct().ToList() };
            case "select":
                var fields = words.SelectMany(w => w.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
                if (fields.Count == 0) throw Usage("`select` needs field names.", "Example: select pid,name,rss");
                CheckNames(fields, "select");
                return new ItemFilter { Name = name, Text = text, _fields = fields, Reads = fields };
            case "sort":
                if (words.Count is 0 or > 2 || words.Count == 2 && words[1] is not ("desc" or "asc"))
                    throw Usage("`sort` takes one field, optionally - for descending.", "Example: sort -rss   (or: sort rss desc)");
                var f = words[0];
                var desc = words.Count == 2 && words[1] == "desc";
                if (f.StartsWith('-')) { desc = true; f = f[1..]; }
                CheckNames([f], "sort");
                return new ItemFilter { Name = name, Text = text, _fields = [f], _descending = desc, Reads = [f] };
            case "first" or "last":
                int n = 1;
                if (words.Count > 1 || words.Count == 1 && (!int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out n)))
                    throw Usage($"`{name}` takes a count (a whole number).", $"Example: {name} 5");
                return new ItemFilter { Name = name, Text = text, _n = n };
            case "count":
                if (words.Count > 0) throw Usage("`count` takes no operands.", "Filter first: where state == \"Z\" | count");
                return new ItemFilter { Name = name, Text = text };
            case "unique":
                if (words.Count > 1) throw Usage("`unique` takes at most one field.", "Example: unique user");
                CheckNames(words, "unique");
                return new ItemFilter { Name = name, Text = text, _fields = words, Reads = words };
            case "group":
                if (words.Count != 1) throw Usage("`group` takes one field.", "Example: group user");
                CheckNames(words, "group");
                return new ItemFilter { Name = name, Text = text, _fields = words, Reads = words };
            default:
                throw Usage($"`{Clip(name)}` is neither a filter nor a stage.",
                    Resh.Core.Text.Suggest.Hint(name, Names) ?? $"Filters: {string.Join(", ", Names)}; a stage looks like scheme://target.verb.");
        }
    }

    static void CheckNames(IEnumerable<string> fields, string filter)
    {
        foreach (var f in fields)
            if (f.Length == 0 || f.Any(c => !(char.IsLetterOrDigit(c) || c is '_' or '-' or '.')))
                throw Usage($"`{Clip(f)}` is not a field name (in `{filter}`).", "Field names are letters, digits, _ and . for a nested field.");
    }

    /// <summary>The fields items have after this filter, given those they had before (null: not known).</summary>
    public IReadOnlySet<string>? FieldsAfter(IReadOnlySet<string>? before) => Name switch
    {
        "select" => _fields.ToHashSet(StringComparer.Ordinal),
        "count" => new HashSet<string>(StringComparer.Ordinal) { "count" },
        "group" => new HashSet<string>(StringComparer.Ordinal) { _fields[0], "count", "items" },
        _ => before,
    };

    public List<JsonObject> Apply(List<JsonObject> items)
    {
        switch (Name)
        {
            case "where":
                return items.Where(_query!.Matches).ToList();
            case "select":
                return items.Select(i =>
                {
                    var o = new JsonObject();
                    foreach (var f in _fields) o[f] = ItemFields.TryGet(i, f, out var v, out _) ? v?.DeepClone() : null;
                    return o;
                }).ToList();
            case "sort":
                var keyed = items.Select(i => (Item: i, Key: ItemFields.TryGet(i, _fields[0], out var v, out _) ? v : null)).ToList();
                var sorted = keyed.Order(Comparer<(JsonObject Item, JsonNode? Key)>.Create((a, b) => CompareKeys(a.Key, b.Key, _descending))).Select(x => x.Item);
                return sorted.ToList();
            case "first":
                return items.Take(_n).ToList();
            case "last":
                return items.TakeLast(_n).ToList();
            case "count":
                return [new JsonObject { ["count"] = items.Count }];
            case "unique":
                var seen = new HashSet<string>(StringComparer.Ordinal);
                return items.Where(i => seen.Add(_fields.Count == 0 ? i.ToJsonString() : ItemFields.TryGet(i, _fields[0], out var v, out _) ? "v" + v?.ToJsonString() : "missing")).ToList();
            case "group":
                var groups = new Dictionary<string, (JsonNode? Key, List<JsonObject> Items)>(StringComparer.Ordinal);
                var order = new List<string>();
                foreach (var i in items)
                {
                    var has = ItemFields.TryGet(i, _fields[0], out var v, out _);
                    var k = has ? "v" + (v?.ToJsonString() ?? "null") : "missing";
                    if (!groups.TryGetValue(k, out var g)) { g = (v, []); groups[k] = g; order.Add(k); }
                    g.Items.Add(i);
                }
                return order.Select(k =>
                {
                    var (key, members) = groups[k];
                    var arr = new JsonArray();
                    foreach (var m in members) arr.Add(m.Parent is null ? m : m.DeepClone());
                    return new JsonObject { [_fields[0]] = key?.DeepClone(), ["count"] = members.Count, ["items"] = arr };
                }).ToList();
            default:
                return items;
        }
    }

    /// <summary>Numbers numerically, sizes and durations written as text by their value, other text ordinally; missing values last.</summary>
    static int CompareKeys(JsonNode? a, JsonNode? b, bool descending)
    {
        if (a is null || b is null) return a is null ? (b is null ? 0 : 1) : -1;
        int c;
        if (Num(a) is { } x && Num(b) is { } y) c = x.CompareTo(y);
        else c = string.CompareOrdinal(ItemFields.Text(a), ItemFields.Text(b));
        return descending ? -c : c;
    }

    static double? Num(JsonNode v)
    {
        if (v is not JsonValue jv) return null;
        if (jv.GetValueKind() == JsonValueKind.Number) return ItemFields.Number(jv);
        if (jv.GetValueKind() != JsonValueKind.String) return null;
        var s = jv.GetValue<string>();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        if (s.Length > 0 && char.IsAsciiDigit(s[0]) && Values.SizeValue.TryParse(s, out var b)) return b;
        if (s.Length > 0 && char.IsAsciiDigit(s[0]) && Values.DurationValue.TryParse(s, out var t)) return t.TotalSeconds;
        return null;
    }

    static ReshException Usage(string message, string hint) => ReshError.Usage(message, hint).ToException();

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
