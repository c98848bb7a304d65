using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Event;

/// <summary>
/// Field filters on events: <c>PATH=VALUE</c> or <c>PATH!=VALUE</c>, PATH a dotted path into the event (<c>topic</c>,
/// <c>source</c>, <c>correlation</c>, <c>who</c>, <c>data.version</c>, <c>data.host.name</c>). A string field is compared
/// as text, any other as its JSON (<c>data.count=3</c>, <c>data.ok=true</c>, <c>data.x=null</c>). All must hold.
/// </summary>
public sealed record EventFilter(string Path, string Value, bool Negate)
{
    public static IReadOnlyList<EventFilter> Parse(IReadOnlyList<string> items)
    {
        var list = new List<EventFilter>();
        foreach (var item in items)
        {
            var eq = item.IndexOf('=');
            if (eq <= 0)
                throw ReshError.Usage($"`{EventTopic.Clip(item)}` is not a filter: give PATH=VALUE or PATH!=VALUE.",
                    "Examples: where=data.version=1.2, where=source!=ci").ToException();
            var negate = item[eq - 1] == '!';
            var path = item[..(negate ? eq - 1 : eq)];
            if (path.Length == 0 || path.Split('.').Any(p => p.Length == 0))
                throw ReshError.Usage($"`{EventTopic.Clip(path)}` is not a field path.", "Examples: data.version, source, topic").ToException();
            list.Add(new EventFilter(path, item[(eq + 1)..], negate));
        }
        return list;
    }

    public bool Holds(JsonObject ev)
    {
        JsonNode? node = ev;
        foreach (var part in Path.Split('.'))
        {
            node = node switch
            {
                JsonObject o => o[part],
                JsonArray a when int.TryParse(part, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
            if (node is null) break;
        }
        var text = node switch
        {
            null => "null",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => node.ToJsonString(),
        };
        return string.Equals(text, Value, StringComparison.Ordinal) != Negate;
    }

    public static bool All(IReadOnlyList<EventFilter> filters, EventRecord rec)
    {
        if (filters.Count == 0) return true;
        var json = rec.ToJson();
        foreach (var f in filters) if (!f.Holds(json)) return false;
        return true;
    }

    public override string ToString() => Path + (Negate ? "!=" : "=") + Value;
}
