using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Secrets;
using Resh.Handles.Config.Formats;

namespace Resh.Handles.Config;

/// <summary>
/// Which values of a configuration file are secrets, and their masking in what config:// prints (SPEC §2: no
/// secret in an envelope). A value is secret when a key on its path looks secret by the rule the project already
/// uses for document keys (password, passwd, secret, token, credential, api_key,
/// private_key, ssl_key, pwd, bearer, auth...; <see cref="SecretKeys"/>), after camelCase, dashes and dots are read as word
/// breaks (apiKey, private-key). Everything under such a key is masked as <c>***</c>: in results, in diffs of the file, in
/// converted content. Any other string value has the credentials written inside it masked (<see cref="CredentialText"/>:
/// <c>postgres://app:***@db/app</c>, <c>Server=db;Password=***</c>).
/// </summary>
internal static class ConfigSecrets
{
    public const string Mask = SecretRedactor.Mask;

    public static bool IsSecretKey(string key) => SecretKeys.LooksSecret(key);

    public static bool IsSecretPath(IEnumerable<string> segments) => segments.Any(IsSecretKey);

    /// <summary>A copy of <paramref name="node"/> with every secret value (or every value, when <paramref name="secret"/>) as <c>***</c>.</summary>
    public static JsonNode? Masked(JsonNode? node, bool secret)
    {
        switch (node)
        {
            case JsonObject o:
                var obj = new JsonObject();
                foreach (var (k, v) in o) obj[k] = Masked(v, secret || IsSecretKey(k));
                return obj;
            case JsonArray a:
                var arr = new JsonArray();
                foreach (var v in a) arr.Add(Masked(v, secret));
                return arr;
            case null:
                return null;
            case JsonValue v when !secret && v.TryGetValue<string>(out var text) && CredentialText.Mask(text) is var masked && !ReferenceEquals(masked, text):
                return JsonValue.Create(masked);
            default:
                return secret ? JsonValue.Create(Mask) : node.DeepClone();
        }
    }

    /// <summary>Where the credentials inside a value's text are (a URL's password, a connection string's Password=), as spans of the whole text.</summary>
    public static IEnumerable<(int Start, int End)> CredentialSpans(string text, int start, int end) =>
        CredentialText.Spans(text[start..end]).Select(p => (start + p.Start, start + p.Start + p.Length));

    /// <summary>The value at a path, masked where secret.</summary>
    public static JsonNode? Masked(JsonNode? node, KeyPath dataPath) => Masked(node, IsSecretPath(dataPath.Segments));

    /// <summary>True when masking changes the value (it holds a secret).</summary>
    public static bool HoldsSecret(JsonNode? node, KeyPath dataPath) => !JsonNode.DeepEquals(node, Masked(node, dataPath));

    /// <summary>
    /// A unified diff of a file with the secret values on its lines masked: each line of either text that holds
    /// a secret's text is shown with that text as <c>***</c> (the diff itself is of the real texts, so a changed
    /// secret still shows as a changed line).
    /// </summary>
    public static string? ScrubDiff(string? diff, ConfigFormat format, string before, string after)
    {
        if (diff is null) return null;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        LineMasks(format, before, map);
        LineMasks(format, after, map);
        if (map.Count == 0) return diff;
        var lines = diff.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var l = lines[i];
            if (l.Length == 0 || l[0] is not ('+' or '-' or ' ')) continue;
            var cr = l.EndsWith('\r');
            var body = l[1..(cr ? l.Length - 1 : l.Length)];
            if (map.TryGetValue(body, out var masked)) lines[i] = l[0] + masked + (cr ? "\r" : "");
        }
        return string.Join('\n', lines);
    }

    /// <summary>For each line of <paramref name="text"/> that holds (part of) a secret value: the line with that part masked.</summary>
    static void LineMasks(ConfigFormat format, string text, Dictionary<string, string> into)
    {
        List<(int Start, int End)> spans;
        try { spans = format.SecretSpans(text); }
        catch (Resh.Core.Errors.ReshException) { return; }
        if (spans.Count == 0) return;
        // Per line: the parts of it that are secret.
        var perLine = new SortedDictionary<int, List<(int, int)>>();
        foreach (var (s, e) in spans)
        {
            var pos = s;
            while (pos < e)
            {
                var ls = TextSpans.LineStart(text, pos);
                var le = text.IndexOf('\n', pos);
                if (le < 0) le = text.Length;
                var part = (pos, Math.Min(e, le));
                if (part.Item2 > part.pos)
                {
                    if (!perLine.TryGetValue(ls, out var list)) perLine[ls] = list = [];
                    list.Add(part);
                }
                pos = le + 1;
            }
        }
        foreach (var (ls, parts) in perLine)
        {
            var le = text.IndexOf('\n', ls);
            if (le < 0) le = text.Length;
            var line = text[ls..le];
            var sb = new StringBuilder(line);
            foreach (var (s, e) in parts.OrderByDescending(p => p.Item1)) sb.Remove(s - ls, e - s).Insert(s - ls, Mask);
            var key = line.TrimEnd('\r');
            var masked = sb.ToString().TrimEnd('\r');
            into.TryAdd(key, masked);
        }
    }
}
