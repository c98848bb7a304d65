using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Errors;

namespace Resh.Handles.Plugin;

/// <summary>One example of a plugin verb: a call (shell-ready), the request it makes, and optionally the expected result.</summary>
public sealed record PluginExample(string Call, string? Description, string Target, JsonObject Args, JsonNode? Result, bool HasResult);

/// <summary>One verb a plugin declares: its arguments and result as JSON Schemas.</summary>
/// <param name="DryRun">The manifest's `"dry_run": true`: the plugin honours the request's dry_run (changes nothing); without it resh refuses --dry-run on a write or destroy verb instead of running it.</param>
public sealed record PluginVerb(string Name, string Summary, string Effect, JsonObject Args, JsonObject Result, IReadOnlyList<PluginExample> Examples, string? Notes, bool DryRun = false);

/// <summary>
/// A plugin's <c>plugin.json</c>, read from JSON nodes (no reflection) and checked field by field: every value a plugin
/// author controls is validated before resh trusts it (names, paths, schemas, checksums).
/// </summary>
public sealed partial record PluginManifest(
    int Protocol, string Name, string Version, string Scheme, string Summary, string Target, string Executable, string Mode,
    IReadOnlyList<PluginVerb> Verbs, IReadOnlyDictionary<string, string> Checksums)
{
    public const string FileName = "plugin.json";
    public const int MaxManifestBytes = 1 << 20;
    public const int CurrentProtocol = 1;

    [GeneratedRegex("^[a-z][a-z0-9-]{0,31}$")] private static partial Regex NameRegex();
    [GeneratedRegex("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$")] private static partial Regex VerbRegex();
    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")] private static partial Regex ArgRegex();
    [GeneratedRegex("^(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})(-[0-9A-Za-z.-]{1,64})?(\\+[0-9A-Za-z.-]{1,64})?$")] private static partial Regex VersionRegex();
    [GeneratedRegex("^sha256:[0-9a-f]{64}$")] private static partial Regex ChecksumRegex();

    /// <summary>Plugin and scheme names: a lower-case letter, then up to 31 lower-case letters, digits or hyphens.</summary>
    public static bool IsValidName(string name) => NameRegex().IsMatch(name);

    /// <summary>The schema types an argument may have.</summary>
    /// <remarks>"secret" is resh's own: a string that takes resh's secret sources (secret:NAME, env:VAR, file:PATH, @-) and reaches the plugin only in the stdin request.</remarks>
    public static readonly string[] ArgTypes = ["string", "integer", "number", "boolean", "array", "object", "secret"];

    static ReshException Bad(string where, string message) =>
        ReshError.Usage($"The plugin manifest {where} is invalid: {message}", "See docs/plugins.md for the manifest format; `resh plugin://.new name=NAME language=bash` writes a working one.",
            new JsonObject { ["manifest"] = where, ["problem"] = message }).ToException();

    /// <summary>Reads and checks a manifest file (a regular file, at most 1 MiB).</summary>
    public static PluginManifest Load(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) throw Bad(path, "plugin.json is a symbolic link.");
        if (!info.Exists)
            throw ReshError.NotFound($"No {FileName} in {Path.GetDirectoryName(path)}.", "A plugin directory holds plugin.json next to its executable; `resh plugin://.new name=NAME` writes one.").ToException();
        if (info.Length > MaxManifestBytes) throw Bad(path, $"it is larger than {MaxManifestBytes} bytes.");
        return Parse(File.ReadAllBytes(path), path);
    }

    public static PluginManifest Parse(byte[] bytes, string where)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException ex) { throw Bad(where, $"not valid JSON ({Line(ex)})."); }
        if (root is not JsonObject o) throw Bad(where, "the top level must be a JSON object.");

        var protocol = Int(o, "protocol", where) ?? throw Bad(where, "`protocol` is required (1).");
        if (protocol != CurrentProtocol)
            throw ReshError.Unsupported($"The plugin speaks protocol {protocol}; this resh speaks protocol {CurrentProtocol}.", "Install a version of the plugin written for protocol 1, or a newer resh.").ToException();
        var name = Str(o, "name", where, required: true)!;
        if (!IsValidName(name)) throw Bad(where, $"`name` {Show(name)} must be a lower-case letter followed by up to 31 lower-case letters, digits or hyphens.");
        var version = Str(o, "version", where, required: true)!;
        if (!VersionRegex().IsMatch(version)) throw Bad(where, $"`version` {Show(version)} is not a semantic version (1.2.3).");
        var scheme = Str(o, "scheme", where) ?? name;
        if (!IsValidName(scheme)) throw Bad(where, $"`scheme` {Show(scheme)} must be a lower-case letter followed by up to 31 lower-case letters, digits or hyphens.");
        var summary = Text(Str(o, "summary", where, required: true)!, "summary", 300, where);
        var target = Text(Str(o, "target", where) ?? "The plugin's target (text after the scheme).", "target", 1000, where);
        var executable = Str(o, "executable", where, required: true)!;
        CheckRelativePath(executable, "executable", where);
        var mode = Str(o, "mode", where) ?? "oneshot";
        if (mode is not ("oneshot" or "ndjson")) throw Bad(where, $"`mode` {Show(mode)} must be oneshot or ndjson.");

        if (o["verbs"] is not JsonArray verbsNode || verbsNode.Count == 0) throw Bad(where, "`verbs` must be a non-empty array.");
        if (verbsNode.Count > 200) throw Bad(where, "more than 200 verbs.");
        var verbs = new List<PluginVerb>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < verbsNode.Count; i++)
        {
            var verb = ParseVerb(verbsNode[i], $"verbs[{i}]", where);
            if (!seen.Add(verb.Name)) throw Bad(where, $"verb `{verb.Name}` is declared twice.");
            verbs.Add(verb);
        }

        if (o["checksums"] is not JsonObject sums) throw Bad(where, "`checksums` must be an object of FILE: \"sha256:HEX\" for every file of the plugin.");
        var checksums = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, value) in sums)
        {
            CheckRelativePath(file, $"checksums key {Show(file)}", where);
            if (file == FileName) throw Bad(where, "plugin.json cannot list its own checksum.");
            var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (text is null || !ChecksumRegex().IsMatch(text)) throw Bad(where, $"the checksum of {Show(file)} must be \"sha256:\" and 64 lower-case hex digits.");
            checksums[file] = text;
        }
        if (!checksums.ContainsKey(executable)) throw Bad(where, $"the executable {Show(executable)} has no entry in `checksums`.");
        return new PluginManifest(protocol, name, version, scheme, summary, target, executable, mode, verbs, checksums);
    }

    static PluginVerb ParseVerb(JsonNode? node, string at, string where)
    {
        if (node is not JsonObject v) throw Bad(where, $"{at} must be an object.");
        var name = Str(v, "name", where, required: true, at: at)!;
        if (name.Length > 64 || !VerbRegex().IsMatch(name)) throw Bad(where, $"{at}.name {Show(name)} must be lower-case words of letters, digits and _ joined by dots.");
        var summary = Text(Str(v, "summary", where, at: at) ?? "", $"{at}.summary", 300, where);
        var effect = Str(v, "effect", where, at: at) ?? "read";
        if (effect is not ("read" or "write" or "destroy")) throw Bad(where, $"{at}.effect {Show(effect)} must be read, write or destroy.");
        var args = v["args"] switch
        {
            null => new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() },
            JsonObject a => (JsonObject)a.DeepClone(),
            _ => throw Bad(where, $"{at}.args must be a JSON Schema object."),
        };
        CheckArgs(args, $"{at}.args", where);
        var result = v["result"] switch
        {
            null => new JsonObject(),
            JsonObject r => (JsonObject)r.DeepClone(),
            _ => throw Bad(where, $"{at}.result must be a JSON Schema object."),
        };
        var notes = Str(v, "notes", where, at: at);
        var examples = new List<PluginExample>();
        if (v["examples"] is JsonArray ex)
        {
            if (ex.Count > 50) throw Bad(where, $"{at}.examples has more than 50 examples.");
            for (int i = 0; i < ex.Count; i++)
            {
                var eat = $"{at}.examples[{i}]";
                if (ex[i] is not JsonObject e) throw Bad(where, $"{eat} must be an object.");
                var call = Text(Str(e, "call", where, required: true, at: eat)!, $"{eat}.call", 1000, where);
                var description = Str(e, "description", where, at: eat);
                var target = Str(e, "target", where, at: eat) ?? "";
                var exArgs = e["args"] switch
                {
                    null => new JsonObject(),
                    JsonObject a => (JsonObject)a.DeepClone(),
                    _ => throw Bad(where, $"{eat}.args must be an object."),
                };
                examples.Add(new PluginExample(call, description, target, exArgs, e["result"]?.DeepClone(), e.ContainsKey("result")));
            }
        }
        else if (v["examples"] is not null) throw Bad(where, $"{at}.examples must be an array.");
        var dryRun = v["dry_run"] switch
        {
            null => false,
            JsonValue d when d.TryGetValue<bool>(out var b) => b,
            _ => throw Bad(where, $"{at}.dry_run must be true or false."),
        };
        return new PluginVerb(name, summary, effect, args, result, examples, notes, dryRun);
    }

    static void CheckArgs(JsonObject args, string at, string where)
    {
        if (args["type"] is { } t && t.ToString() != "object") throw Bad(where, $"{at}.type must be object.");
        var props = args["properties"] switch
        {
            null => new JsonObject(),
            JsonObject p => p,
            _ => throw Bad(where, $"{at}.properties must be an object."),
        };
        if (props.Count > 100) throw Bad(where, $"{at} declares more than 100 arguments.");
        foreach (var (name, schema) in props)
        {
            var pat = $"{at}.properties.{name}";
            if (!ArgRegex().IsMatch(name)) throw Bad(where, $"argument name {Show(name)} must be a lower-case letter followed by letters, digits or _ (64 at most).");
            var flag = name.Replace('_', '-');
            if (flag is not ("timeout" or "version") && Resh.Core.Cli.GlobalFlags.Find(flag) is not null)
                throw Bad(where, $"argument `{name}` would shadow resh's global flag --{flag}.");
            if (schema is not JsonObject s) throw Bad(where, $"{pat} must be a JSON Schema object.");
            var type = s["type"] is JsonValue tv && tv.TryGetValue<string>(out var ts) ? ts : null;
            if (type is null || !ArgTypes.Contains(type)) throw Bad(where, $"{pat}.type must be one of {string.Join(", ", ArgTypes)}.");
            if (s["description"] is { } d && d.GetValueKind() != JsonValueKind.String) throw Bad(where, $"{pat}.description must be a string.");
            if (s["enum"] is { } en)
            {
                if (type != "string" || en is not JsonArray ea || ea.Count == 0 || ea.Any(x => x is not JsonValue xv || xv.GetValueKind() != JsonValueKind.String))
                    throw Bad(where, $"{pat}.enum must be a non-empty array of strings on a string argument.");
            }
            if (type == "secret" && s.ContainsKey("default")) throw Bad(where, $"{pat} is a secret: it cannot have a default (it would sit in plugin.json).");
            if (s["default"] is { } def && !Matches(type, def)) throw Bad(where, $"{pat}.default is not a {type}.");
        }
        if (args["required"] is { } req)
        {
            if (req is not JsonArray ra || ra.Any(x => x is not JsonValue xv || !xv.TryGetValue<string>(out var rn) || !props.ContainsKey(rn)))
                throw Bad(where, $"{at}.required must list names of declared properties.");
        }
    }

    /// <summary>Whether a JSON value has a schema type.</summary>
    public static bool Matches(string type, JsonNode? value) => type switch
    {
        "string" or "secret" => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        "integer" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out _),
        "number" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        "boolean" => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        "array" => value is JsonArray,
        "object" => value is JsonObject,
        _ => false,
    };

    /// <summary>The schema as JSON Schema knows it: resh's "secret" type is a string there (write-only).</summary>
    public static JsonObject WireSchema(JsonObject schema)
    {
        var copy = (JsonObject)schema.DeepClone();
        if (copy["properties"] is JsonObject props)
            foreach (var (_, p) in props)
                if (p is JsonObject o && o["type"] is JsonValue t && t.TryGetValue<string>(out var ts) && ts == "secret")
                {
                    o["type"] = "string";
                    o["writeOnly"] = true;
                }
        return copy;
    }

    /// <summary>A path inside the plugin directory: relative, no empty, `.` or `..` component, no NUL or backslash.</summary>
    public static void CheckRelativePath(string path, string what, string where)
    {
        if (path.Length == 0 || path.Length > 255 || path.StartsWith('/') || path.Contains('\0') || path.Contains('\\')
            || path.Split('/').Any(c => c is "" or "." or ".."))
            throw Bad(where, $"{what} {Show(path)} must be a relative path inside the plugin directory (no `..`, no leading /).");
        if (path.Any(char.IsControl)) throw Bad(where, $"{what} holds control characters.");
    }

    static string Text(string value, string what, int max, string where)
    {
        if (value.Length > max) throw Bad(where, $"`{what}` is longer than {max} characters.");
        if (value.Any(c => char.IsControl(c) && c != '\n')) throw Bad(where, $"`{what}` holds control characters.");
        return value;
    }

    static string? Str(JsonObject o, string key, string where, bool required = false, string at = "")
    {
        var name = at.Length == 0 ? key : $"{at}.{key}";
        var node = o[key];
        if (node is null)
        {
            if (required) throw Bad(where, $"`{name}` is required.");
            return null;
        }
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        throw Bad(where, $"`{name}` must be a string.");
    }

    static int? Int(JsonObject o, string key, string where)
    {
        var node = o[key];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<int>(out var i)) return i;
        throw Bad(where, $"`{key}` must be an integer.");
    }

    static string Show(string s) => "`" + (s.Length > 60 ? s[..60] + "…" : s).Replace("\n", "\\n") + "`";

    static string Line(JsonException ex) => ex.LineNumber is { } l ? $"line {l + 1}" : "syntax";

    /// <summary>Compares two semantic versions (numbers first, a pre-release sorts before its release).</summary>
    public static int CompareVersions(string a, string b)
    {
        static (long, long, long, string?) Split(string v)
        {
            var core = v.Split('+')[0];
            var dash = core.IndexOf('-');
            var pre = dash >= 0 ? core[(dash + 1)..] : null;
            var nums = (dash >= 0 ? core[..dash] : core).Split('.');
            long N(int i) => i < nums.Length && long.TryParse(nums[i], out var n) ? n : 0;
            return (N(0), N(1), N(2), pre);
        }
        var (a1, a2, a3, ap) = Split(a);
        var (b1, b2, b3, bp) = Split(b);
        var c = a1.CompareTo(b1);
        if (c == 0) c = a2.CompareTo(b2);
        if (c == 0) c = a3.CompareTo(b3);
        if (c != 0) return c;
        if (ap is null && bp is null) return 0;
        if (ap is null) return 1;
        if (bp is null) return -1;
        return string.CompareOrdinal(ap, bp);
    }
}
