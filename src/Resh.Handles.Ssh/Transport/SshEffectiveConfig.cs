using System.Text.Json.Nodes;

namespace Resh.Handles.Ssh.Transport;

/// <summary>The output of <c>ssh -G</c>: lower-case keywords, each with one or more values.</summary>
public sealed class SshEffectiveConfig
{
    readonly Dictionary<string, List<string>> _values;

    SshEffectiveConfig(Dictionary<string, List<string>> values) => _values = values;

    public static SshEffectiveConfig Parse(string text)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var sp = line.IndexOf(' ');
            if (sp <= 0) continue;
            var key = line[..sp].ToLowerInvariant();
            var value = line[(sp + 1)..];
            if (!values.TryGetValue(key, out var list)) values[key] = list = [];
            list.Add(value);
        }
        return new SshEffectiveConfig(values);
    }

    public string? Get(string key) => _values.TryGetValue(key, out var l) && l.Count > 0 ? l[0] : null;

    /// <summary>Every value of a keyword; space-separated lists (userknownhostsfile) are split.</summary>
    public IReadOnlyList<string> All(string key)
    {
        if (!_values.TryGetValue(key, out var l)) return [];
        return key is "userknownhostsfile" or "globalknownhostsfile"
            ? l.SelectMany(v => v.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList()
            : l;
    }

    public int Port => int.TryParse(Get("port"), out var p) ? p : 22;

    /// <summary>Every setting as JSON: a string, or a list for keywords given more than once.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (var (k, v) in _values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            o[k] = v.Count == 1 && !IsMulti(k) ? JsonValue.Create(v[0]) : new JsonArray(v.Select(x => (JsonNode?)x).ToArray());
        return o;
    }

    static bool IsMulti(string k) => k is "identityfile" or "certificatefile" or "localforward" or "remoteforward" or "dynamicforward" or "sendenv" or "setenv";
}
