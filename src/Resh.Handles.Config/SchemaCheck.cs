using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Errors;

namespace Resh.Handles.Config;

/// <summary>
/// JSON Schema validation of configuration data: the keywords configuration schemas use (type, enum, const,
/// properties, required, additionalProperties, patternProperties, items/prefixItems, min/max of numbers,
/// strings, arrays and objects, pattern, uniqueItems, allOf/anyOf/oneOf/not, if/then/else, local $ref to
/// #/definitions and #/$defs). Written here because JsonSchema.Net's module initializer ran on every resh
/// start under Native AOT (1.7x the CPU of a file read); unknown keywords are ignored, as the standard says.
/// </summary>
/// <remarks>
/// Without reveal, a value config:// masks (under a secret-looking key, or a string with a credential inside it) is
/// checked for its type only: enum, const, pattern, lengths, number bounds and uniqueItems would tell, call by call,
/// whether a guess matches (a caller's schema with const = the guess is a password oracle). Each keyword left out is
/// listed in <see cref="Unchecked"/>, so a reader of the result knows what was not checked and why.
/// </remarks>
internal sealed class SchemaCheck(JsonNode? root, bool reveal, HashSet<(string, string)> skipped)
{
    readonly List<ConfigSchemaError> _errors = [];
    int _steps;

    public sealed record Report(List<ConfigSchemaError> Errors, List<ConfigSchemaError> Unchecked);

    public static Report Validate(JsonNode? schema, JsonNode? data, bool reveal)
    {
        var notChecked = new HashSet<(string, string)>();
        var check = new SchemaCheck(schema, reveal, notChecked);
        check.Check(schema, data, "", "#", 0, false);
        var list = notChecked.OrderBy(x => x.Item1, StringComparer.Ordinal).ThenBy(x => x.Item2, StringComparer.Ordinal)
            .Select(x => new ConfigSchemaError(x.Item1, x.Item2, "Not checked: the value is masked as a secret (only its type is checked without reveal=true)."))
            .ToList();
        return new Report(check._errors, list);
    }

    /// <summary>The keywords that look at a value's content, by the kind of value they apply to.</summary>
    static readonly string[] Whole = ["enum", "const"];
    static readonly string[] OfString = ["enum", "const", "pattern", "minLength", "maxLength"];
    static readonly string[] OfNumber = ["enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
    static readonly string[] OfArray = ["enum", "const", "uniqueItems"];

    /// <summary>True (and the keywords noted as not checked) when <paramref name="s"/>'s content keywords must not see <paramref name="data"/>.</summary>
    bool Hidden(JsonObject s, JsonNode? data, bool secret, string at, string sp)
    {
        if (reveal) return false;
        var kinds = data switch
        {
            JsonArray => OfArray,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => OfString,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => OfNumber,
            _ => Whole,
        };
        var present = kinds.Where(s.ContainsKey).ToList();
        if (present.Count == 0) return false;
        if (!secret && JsonNode.DeepEquals(data, ConfigSecrets.Masked(data, false))) return false;
        foreach (var k in present) skipped.Add((at, sp + "/" + k));
        return true;
    }

    void Fail(string instance, string schema, string message) => _errors.Add(new ConfigSchemaError(instance, schema, message));

    bool Check(JsonNode? schema, JsonNode? data, string at, string sp, int depth, bool secret)
    {
        if (++_steps > 1_000_000 || depth > 200)
            throw ReshError.Usage("The schema is too deep or recursive to evaluate.", "Check its $ref cycles.").ToException();
        if (schema is JsonValue b && b.TryGetValue<bool>(out var allow))
        {
            if (!allow) Fail(at, sp, "No value is allowed here (schema false).");
            return allow;
        }
        if (schema is not JsonObject s) return true;
        var before = _errors.Count;
        if (s["$ref"] is JsonValue r && r.TryGetValue<string>(out var refText))
            Check(Resolve(refText, sp), data, at, sp + "/$ref", depth + 1, secret);
        var hidden = Hidden(s, data, secret, at, sp);
        if (s["type"] is { } type)
        {
            var names = type is JsonArray ta ? ta.Select(t => t?.ToString() ?? "").ToList() : [type.ToString()];
            if (!names.Any(n => IsType(data, n))) Fail(at, sp + "/type", $"Expected {string.Join(" or ", names)}, found {Resh.Handles.Config.Formats.ConfigFormat.TypeName(data)}.");
        }
        if (s["enum"] is JsonArray en && !hidden && !en.Any(e => Equal(e, data))) Fail(at, sp + "/enum", $"The value is not one of {en.ToJsonString()}.");
        if (s.ContainsKey("const") && !hidden && !Equal(s["const"], data)) Fail(at, sp + "/const", $"The value must be {s["const"]?.ToJsonString() ?? "null"}.");
        if (data is JsonValue v && v.GetValueKind() == JsonValueKind.Number && !hidden)
        {
            var n = D(v);
            if (Num(s, "minimum") is { } min && n < min) Fail(at, sp + "/minimum", $"{n.ToString(CultureInfo.InvariantCulture)} is less than {min.ToString(CultureInfo.InvariantCulture)}.");
            if (Num(s, "maximum") is { } max && n > max) Fail(at, sp + "/maximum", $"{n.ToString(CultureInfo.InvariantCulture)} is greater than {max.ToString(CultureInfo.InvariantCulture)}.");
            if (Num(s, "exclusiveMinimum") is { } xmin && n <= xmin) Fail(at, sp + "/exclusiveMinimum", $"{n.ToString(CultureInfo.InvariantCulture)} must be greater than {xmin.ToString(CultureInfo.InvariantCulture)}.");
            if (Num(s, "exclusiveMaximum") is { } xmax && n >= xmax) Fail(at, sp + "/exclusiveMaximum", $"{n.ToString(CultureInfo.InvariantCulture)} must be less than {xmax.ToString(CultureInfo.InvariantCulture)}.");
            if (Num(s, "multipleOf") is { } mul && mul > 0 && Math.Abs(n / mul - Math.Round(n / mul)) > 1e-9) Fail(at, sp + "/multipleOf", $"{n.ToString(CultureInfo.InvariantCulture)} is not a multiple of {mul.ToString(CultureInfo.InvariantCulture)}.");
        }
        if (data is JsonValue sv && sv.TryGetValue<string>(out var str) && !hidden)
        {
            var len = new StringInfo(str).LengthInTextElements;
            if (Num(s, "minLength") is { } minL && len < minL) Fail(at, sp + "/minLength", $"The string is shorter than {minL} characters.");
            if (Num(s, "maxLength") is { } maxL && len > maxL) Fail(at, sp + "/maxLength", $"The string is longer than {maxL} characters.");
            if (s["pattern"] is JsonValue p && p.TryGetValue<string>(out var pattern) && !Matches(pattern, str)) Fail(at, sp + "/pattern", $"The string does not match {pattern}.");
        }
        if (data is JsonArray arr)
        {
            if (Num(s, "minItems") is { } minI && arr.Count < minI) Fail(at, sp + "/minItems", $"The array has fewer than {minI} items.");
            if (Num(s, "maxItems") is { } maxI && arr.Count > maxI) Fail(at, sp + "/maxItems", $"The array has more than {maxI} items.");
            if (s["uniqueItems"] is JsonValue u && u.TryGetValue<bool>(out var unique) && unique && !hidden)
                for (int i = 0; i < arr.Count; i++) for (int j = i + 1; j < arr.Count; j++) if (Equal(arr[i], arr[j])) Fail(at + "/" + j, sp + "/uniqueItems", $"Item {j} repeats item {i}.");
            int start = 0;
            if (s["prefixItems"] is JsonArray prefix)
                for (; start < Math.Min(prefix.Count, arr.Count); start++) Check(prefix[start], arr[start], at + "/" + start, sp + "/prefixItems/" + start, depth + 1, secret);
            if (s["items"] is JsonArray tuple) // draft 7 tuples
                for (int i = 0; i < Math.Min(tuple.Count, arr.Count); i++) Check(tuple[i], arr[i], at + "/" + i, sp + "/items/" + i, depth + 1, secret);
            else if (s["items"] is { } items)
                for (int i = start; i < arr.Count; i++) Check(items, arr[i], at + "/" + i, sp + "/items", depth + 1, secret);
        }
        if (data is JsonObject obj)
        {
            if (Num(s, "minProperties") is { } minP && obj.Count < minP) Fail(at, sp + "/minProperties", $"The object has fewer than {minP} keys.");
            if (Num(s, "maxProperties") is { } maxP && obj.Count > maxP) Fail(at, sp + "/maxProperties", $"The object has more than {maxP} keys.");
            if (s["required"] is JsonArray req)
                foreach (var k in req.Select(x => x?.ToString() ?? ""))
                    if (!obj.ContainsKey(k)) Fail(at, sp + "/required", $"The key `{k}` is required.");
            var props = s["properties"] as JsonObject;
            var patterns = s["patternProperties"] as JsonObject;
            foreach (var (k, val) in obj)
            {
                var child = at + "/" + k.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
                bool matched = false;
                var childSecret = secret || ConfigSecrets.IsSecretKey(k);
                if (props is not null && props.TryGetPropertyValue(k, out var ps)) { matched = true; Check(ps, val, child, sp + "/properties/" + k, depth + 1, childSecret); }
                if (patterns is not null)
                    foreach (var (pat, pSchema) in patterns)
                        if (Matches(pat, k)) { matched = true; Check(pSchema, val, child, sp + "/patternProperties/" + pat, depth + 1, childSecret); }
                if (!matched && s.TryGetPropertyValue("additionalProperties", out var extra))
                {
                    if (extra is JsonValue ev && ev.TryGetValue<bool>(out var ok) && !ok) Fail(child, sp + "/additionalProperties", $"The key `{k}` is not allowed.");
                    else Check(extra, val, child, sp + "/additionalProperties", depth + 1, childSecret);
                }
            }
        }
        if (s["allOf"] is JsonArray all) for (int i = 0; i < all.Count; i++) Check(all[i], data, at, sp + "/allOf/" + i, depth + 1, secret);
        if (s["anyOf"] is JsonArray any && !any.Select((x, i) => Passes(x, data, at, sp + "/anyOf/" + i, depth, secret)).ToList().Any(p => p)) Fail(at, sp + "/anyOf", "The value matches none of anyOf.");
        if (s["oneOf"] is JsonArray one)
        {
            var count = one.Select((x, i) => Passes(x, data, at, sp + "/oneOf/" + i, depth, secret)).Count(p => p);
            if (count != 1) Fail(at, sp + "/oneOf", $"The value matches {count} of oneOf, not exactly one.");
        }
        if (s.ContainsKey("not") && Passes(s["not"], data, at, sp + "/not", depth, secret)) Fail(at, sp + "/not", "The value matches the schema under not.");
        if (s.ContainsKey("if"))
        {
            if (Passes(s["if"], data, at, sp + "/if", depth, secret)) { if (s.ContainsKey("then")) Check(s["then"], data, at, sp + "/then", depth + 1, secret); }
            else if (s.ContainsKey("else")) Check(s["else"], data, at, sp + "/else", depth + 1, secret);
        }
        return _errors.Count == before;
    }

    /// <summary>Whether the value passes a subschema (its errors are not reported; what it could not check is).</summary>
    bool Passes(JsonNode? schema, JsonNode? data, string at, string sp, int depth, bool secret)
    {
        var sub = new SchemaCheck(root, reveal, skipped) { _steps = _steps };
        var ok = sub.Check(schema, data, at, sp, depth + 1, secret);
        _steps = sub._steps;
        return ok;
    }

    JsonNode? Resolve(string reference, string sp)
    {
        if (!reference.StartsWith('#'))
            throw ReshError.Usage($"The schema refers to {reference} (at {sp}); only references inside the schema (#/...) are followed.", "Bundle the referenced schema into $defs.").ToException();
        JsonNode? node = root;
        foreach (var raw in reference.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var seg = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node is JsonObject o && o.TryGetPropertyValue(seg, out var c) ? c : node is JsonArray a && int.TryParse(seg, out var i) && i < a.Count ? a[i] : throw ReshError.Usage($"The schema's $ref {reference} (at {sp}) points nowhere.", null).ToException();
        }
        return node;
    }

    static bool Matches(string pattern, string s)
    {
        try { return Regex.IsMatch(s, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2)); }
        catch (RegexParseException) { throw ReshError.Usage($"The schema's pattern {pattern} is not a valid regular expression.", null).ToException(); }
        catch (RegexMatchTimeoutException) { throw ReshError.Failed($"The schema's pattern {pattern} took over 2 s to match.", null).ToException(); }
    }

    static double D(JsonValue v) => double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    static double? Num(JsonObject s, string key) => s[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? D(v) : null;

    static bool Equal(JsonNode? a, JsonNode? b)
    {
        if (a is JsonValue x && b is JsonValue y && x.GetValueKind() == JsonValueKind.Number && y.GetValueKind() == JsonValueKind.Number)
            return D(x) == D(y);
        return JsonNode.DeepEquals(a, b);
    }

    static bool IsType(JsonNode? data, string type) => type switch
    {
        "null" => data is null,
        "object" => data is JsonObject,
        "array" => data is JsonArray,
        "string" => data is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        "boolean" => data is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        "number" => data is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        "integer" => data is JsonValue v && v.GetValueKind() == JsonValueKind.Number && Math.Abs(D(v) % 1) == 0,
        _ => true,
    };
}
