using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Secrets;
using Resh.Core.Text;
using Resh.Core.Values;

namespace Resh.Core.Model;

/// <summary>
/// Factories for argument declarations. A verb keeps each argument in a static field and reads its
/// typed value back with <c>ctx.Get(field)</c>, so the name and type are written exactly once.
/// </summary>
public static class Arg
{
    public static Arg<string?> String(string name, string description, string? @default = null, bool required = false,
        string[]? examples = null, string[]? aliases = null, bool literalAt = false, PathUse path = PathUse.None, ArgRole role = ArgRole.None) => new()
    {
        Name = name, Description = description, Kind = ArgKind.String, Required = required, LiteralAt = literalAt, Path = path, Role = role,
        DefaultJsonFactory = @default is null ? null : () => JsonValue.Create(@default), Default = @default,
        Examples = examples ?? [], Aliases = aliases ?? [],
        Parser = (a, v) => ScalarText(a, Single(a, v), trimLineEnd: true),
    };

    public static Arg<long?> Int(string name, string description, long? @default = null, bool required = false,
        long? min = null, long? max = null, string[]? examples = null, string[]? aliases = null) => new()
    {
        Name = name, Description = description, Kind = ArgKind.Int, Required = required,
        DefaultJsonFactory = @default is null ? null : () => JsonValue.Create(@default.Value), Default = @default,
        Minimum = min, Maximum = max, Examples = examples ?? [], Aliases = aliases ?? [],
        Parser = (a, v) => ParseInt(a, Single(a, v)),
    };

    public static Arg<bool> Bool(string name, string description, bool @default = false, string[]? aliases = null, ArgRole role = ArgRole.None) => new()
    {
        Name = name, Description = description, Kind = ArgKind.Bool, Role = role,
        DefaultJsonFactory = () => JsonValue.Create(@default), Default = @default, Aliases = aliases ?? [],
        Parser = (a, v) => ParseBool(a, Single(a, v)),
    };

    public static Arg<TimeSpan?> Duration(string name, string description, TimeSpan? @default = null, bool required = false,
        string[]? examples = null, string[]? aliases = null) => new()
    {
        Name = name, Description = description, Kind = ArgKind.Duration, Required = required,
        DefaultJsonFactory = @default is null ? null : () => JsonValue.Create(DurationValue.Format(@default.Value)), Default = @default,
        Examples = examples ?? ["500ms", "30s", "5m"], Aliases = aliases ?? [],
        Parser = (a, v) => ParseDuration(a, Single(a, v)),
    };

    public static Arg<long?> Size(string name, string description, long? @default = null, bool required = false,
        string[]? examples = null, string[]? aliases = null) => new()
    {
        Name = name, Description = description, Kind = ArgKind.Size, Required = required,
        DefaultJsonFactory = @default is null ? null : () => JsonValue.Create(SizeValue.Format(@default.Value)), Default = @default,
        Examples = examples ?? ["512", "10KiB", "5MB"], Aliases = aliases ?? [],
        Parser = (a, v) => ParseSize(a, Single(a, v)),
    };

    public static Arg<string?> Enum(string name, string description, string[] choices, string? @default = null, bool required = false,
        string[]? aliases = null) => new()
    {
        Name = name, Description = description, Kind = ArgKind.Enum, Required = required, Choices = choices,
        DefaultJsonFactory = @default is null ? null : () => JsonValue.Create(@default), Default = @default, Aliases = aliases ?? [],
        Parser = (a, v) => ParseEnum(a, ScalarText(a, Single(a, v), trimLineEnd: true)),
    };

    public static Arg<IReadOnlyList<string>> List(string name, string description, bool required = false, string[]? choices = null,
        string[]? examples = null, string[]? aliases = null, bool positional = false, string[]? @default = null, bool literalAt = false,
        PathUse path = PathUse.None, ArgRole role = ArgRole.None) => new()
    {
        Name = name, Description = description, Kind = ArgKind.List, Required = required, Choices = choices, LiteralAt = literalAt, Path = path, Role = role,
        Examples = examples ?? [], Aliases = aliases ?? [], Positional = positional,
        DefaultJsonFactory = @default is null ? null : () => new JsonArray(@default.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
        Default = @default ?? [],
        Parser = ParseList,
    };

    /// <summary>
    /// A command as argv: the words after <c>--</c> (verbatim), a JSON array of exact words, or one line
    /// (<c>command=sleep 1</c>) split into words as a shell would for quotes and backslashes, with no expansion and no shell.
    /// </summary>
    public static Arg<IReadOnlyList<string>> Command(string name, string description, bool required = false, string[]? examples = null,
        string[]? aliases = null, bool positional = false, ArgRole role = ArgRole.None) => new()
    {
        Name = name, Description = description, Kind = ArgKind.List, Required = required, Examples = examples ?? [], Aliases = aliases ?? [],
        Positional = positional, Default = [], Parser = ParseCommand, Role = role,
    };

    public static Arg<JsonNode?> Json(string name, string description, bool required = false, string[]? examples = null) => new()
    {
        Name = name, Description = description, Kind = ArgKind.Json, Required = required, Examples = examples ?? [],
        Parser = (a, v) => ParseJson(a, Single(a, v)),
    };

    public static Arg<byte[]?> Bytes(string name, string description, bool required = false, string[]? examples = null,
        string[]? aliases = null) => new()
    {
        Name = name, Description = description, Kind = ArgKind.Bytes, Required = required, Examples = examples ?? [],
        Aliases = aliases ?? [],
        Parser = (a, v) => ParseBytes(a, Single(a, v)),
    };

    /// <summary>
    /// Content of any size: text inline, or <c>@file</c> / <c>@-</c> streamed to the verb (never read whole
    /// into memory by the parser). Same wire type as <see cref="Bytes"/>.
    /// </summary>
    public static Arg<ContentSource?> Content(string name, string description, bool required = false, string[]? examples = null,
        string[]? aliases = null) => new()
    {
        Name = name, Description = description, Kind = ArgKind.Bytes, Required = required, Examples = examples ?? [],
        Aliases = aliases ?? [], Streams = true,
        Parser = (a, v) => Single(a, v) is { Source: { } source } ? source : ContentSource.FromBytes(ParseBytes(a, Single(a, v))),
    };

    /// <summary>
    /// A password, token or key (SPEC §9). The value is a source: <c>secret:NAME</c>, <c>env:VAR</c>,
    /// <c>file:PATH</c> (first line), <c>@-</c> (stdin, or a no-echo prompt on a terminal), <c>@PATH</c>
    /// (whole file), or a literal, which works but adds a warning to the envelope. Read it with
    /// <c>ctx.GetSecret(arg)</c>, which resolves the source when the verb runs and returns a
    /// <see cref="SecretValue"/>; <c>ctx.Get(arg)</c> gives the unresolved <see cref="SecretRef"/>.
    /// </summary>
    public static Arg<SecretRef?> Secret(string name, string description, bool required = false,
        string[]? examples = null, string[]? aliases = null) => new()
    {
        Name = name, Description = description, Kind = ArgKind.Secret, Required = required, Secret = true,
        Examples = examples ?? ["secret:NAME", "env:VAR", "file:PATH", "@-"], Aliases = aliases ?? [],
        Parser = (a, v) => ParseSecret(a, Single(a, v)),
    };

    // ---- parsers -------------------------------------------------------------------------

    static RawValue Single(ArgInfo a, IReadOnlyList<RawValue> values)
    {
        if (values.Count != 1)
            throw new ArgValueException($"Argument `{a.Name}` was given {values.Count} times.", "Give it once; only list arguments repeat.");
        return values[0];
    }

    static string Describe(ArgInfo a, RawValue v) => a.Secret ? "(secret)" : $"`{Clip(v.ToString())}`";

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;

    static string DecodeUtf8(ArgInfo a, byte[] bytes)
    {
        try { return new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException) { throw new ArgValueException($"Argument `{a.Name}` is not valid UTF-8 text.", null); }
    }

    /// <summary>The text of a scalar value. Values read from a file lose one trailing newline, as $(cat f) does.</summary>
    static string ScalarText(ArgInfo a, RawValue v, bool trimLineEnd)
    {
        if (v.Text is not null) return v.Text;
        if (v.Bytes is not null)
        {
            var s = DecodeUtf8(a, v.Bytes);
            if (trimLineEnd) s = s.EndsWith("\r\n", StringComparison.Ordinal) ? s[..^2] : s.EndsWith('\n') ? s[..^1] : s;
            return s;
        }
        return v.Json switch
        {
            null => throw new ArgValueException($"Argument `{a.Name}` cannot be null.", null),
            JsonValue jv when jv.TryGetValue<string>(out var str) => str,
            JsonValue jv => jv.ToJsonString(),
            _ => throw new ArgValueException($"Argument `{a.Name}` expects a {a.Kind.ToWire()}, not a JSON {v.Json.GetValueKind().ToString().ToLowerInvariant()}.", null),
        };
    }

    static long? ParseInt(ArgInfo a, RawValue v)
    {
        long n;
        if (v.IsJson && v.Json is JsonValue jv && jv.GetValueKind() == JsonValueKind.Number)
        {
            if (!jv.TryGetValue<long>(out n))
            {
                if (jv.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e18) n = (long)d;
                else throw new ArgValueException($"Argument `{a.Name}` expects an integer, got {Describe(a, v)}.", "Example: 10");
            }
        }
        else
        {
            var s = ScalarText(a, v, true).Trim().Replace("_", "");
            if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n))
                throw new ArgValueException($"Argument `{a.Name}` expects an integer, got {Describe(a, v)}.", "Example: 10");
        }
        if (a.Minimum is { } min && n < min) throw new ArgValueException($"Argument `{a.Name}` must be at least {min}, got {n}.", null);
        if (a.Maximum is { } max && n > max) throw new ArgValueException($"Argument `{a.Name}` must be at most {max}, got {n}.", null);
        return n;
    }

    static bool ParseBool(ArgInfo a, RawValue v)
    {
        if (v.IsJson && v.Json is JsonValue jv)
        {
            if (jv.GetValueKind() == JsonValueKind.True) return true;
            if (jv.GetValueKind() == JsonValueKind.False) return false;
        }
        if (BoolValue.TryParse(ScalarText(a, v, true), out var b)) return b;
        throw new ArgValueException($"Argument `{a.Name}` expects true or false, got {Describe(a, v)}.", "Use true/false, yes/no or 1/0.");
    }

    static TimeSpan? ParseDuration(ArgInfo a, RawValue v)
    {
        if (v.IsJson && v.Json is JsonValue jv && jv.GetValueKind() == JsonValueKind.Number)
        {
            var secs = jv.GetValue<double>();
            if (secs >= 0 && secs < 1e9) return TimeSpan.FromSeconds(secs);
        }
        else if (DurationValue.TryParse(ScalarText(a, v, true), out var t)) return t;
        throw new ArgValueException($"Argument `{a.Name}` expects a duration, got {Describe(a, v)}.", "Examples: 500ms, 30s, 5m, 1h30m (a bare number is seconds).");
    }

    static long? ParseSize(ArgInfo a, RawValue v)
    {
        if (v.IsJson && v.Json is JsonValue jv && jv.GetValueKind() == JsonValueKind.Number && jv.TryGetValue<long>(out var n) && n >= 0)
            return n;
        if (!v.IsJson || v.Json is JsonValue { } s && s.GetValueKind() == JsonValueKind.String)
        {
            if (SizeValue.TryParse(ScalarText(a, v, true), out var b)) return b;
        }
        throw new ArgValueException($"Argument `{a.Name}` expects a size, got {Describe(a, v)}.", "Examples: 512, 10KiB, 5MB, 1.5GiB.");
    }

    static string ParseEnum(ArgInfo a, string text)
    {
        var choices = a.Choices ?? [];
        foreach (var c in choices)
            if (string.Equals(c, text, StringComparison.OrdinalIgnoreCase)) return c;
        var hint = Suggest.Hint(text, choices) ?? $"One of: {string.Join(", ", choices)}.";
        throw new ArgValueException($"Argument `{a.Name}` must be one of {string.Join(", ", choices)}; got `{Clip(text)}`.", hint);
    }

    static IReadOnlyList<string> ParseList(ArgInfo a, IReadOnlyList<RawValue> values)
    {
        var items = new List<string>();
        foreach (var v in values)
        {
            if (v.IsJson && v.Json is JsonArray arr)
            {
                foreach (var e in arr)
                {
                    if (e is JsonValue ev && ev.TryGetValue<string>(out var s)) items.Add(s);
                    else if (e is JsonValue ev2) items.Add(ev2.ToJsonString());
                    else throw new ArgValueException($"Argument `{a.Name}` expects a list of strings.", "Example: a,b or [\"a\",\"b\"]");
                }
            }
            else if (a.Positional && v.Text is not null && v.Origin == ValueOrigin.CommandLine)
            {
                items.Add(v.Text); // positional words are taken verbatim, commas and all
            }
            else
            {
                var text = ScalarText(a, v, true);
                char[] seps = v.Bytes is not null ? [',', '\n'] : [','];
                foreach (var part in text.Split(seps))
                {
                    var t = part.Trim();
                    if (t.Length > 0) items.Add(t);
                }
            }
        }
        if (a.Choices is { } choices)
        {
            for (int i = 0; i < items.Count; i++) items[i] = ParseEnum(a, items[i]);
        }
        return items;
    }

    static IReadOnlyList<string> ParseCommand(ArgInfo a, IReadOnlyList<RawValue> values)
    {
        var words = new List<string>();
        if (values.Any(v => v.IsWord) && values.Any(v => !v.IsWord))
            throw new ArgValueException($"Give `{a.Name}` either as command=... or as the words after --, not both.",
                "Example: resh lock:///x.run -- echo hi, or resh 'lock:///x.run(command=echo hi)'");
        foreach (var v in values)
        {
            if (v.IsJson && v.Json is JsonArray) words.AddRange(ParseList(a, [v]));
            else if (v.IsWord && v.Text is not null) words.Add(v.Text);
            else
            {
                try { words.AddRange(Platform.CommandWords.Split(ScalarText(a, v, true))); }
                catch (FormatException ex)
                {
                    throw new ArgValueException($"Argument `{a.Name}`: {ex.Message}", "Balance the quotes, or give the exact words after --.");
                }
            }
        }
        return words;
    }

    static JsonNode? ParseJson(ArgInfo a, RawValue v)
    {
        if (v.IsJson) return v.Json?.DeepClone();
        var text = ScalarText(a, v, false);
        try { return JsonNode.Parse(text); }
        catch (JsonException)
        {
            if (v.Bytes is not null) throw new ArgValueException($"Argument `{a.Name}` expects JSON; the file is not valid JSON.", null);
            return JsonValue.Create(text); // key=value with a JSON argument: a plain string
        }
    }

    static SecretRef ParseSecret(ArgInfo a, RawValue v)
    {
        if (v.Bytes is not null)
        {
            var value = SecretResolver.FromInput(v.Bytes);
            if (value.Length == 0)
                throw new ArgValueException($"Argument `{a.Name}` read an empty value from {(v.Origin == ValueOrigin.Stdin ? "stdin" : "its file")}.",
                    "Pipe the secret in (printf %s VALUE | resh ...) or use secret:NAME, env:VAR or file:PATH.");
            return SecretRef.FromInput(value, v.Origin == ValueOrigin.Stdin ? "@-" : "@FILE");
        }
        string text;
        if (v.Text is not null) text = v.Text;
        else if (v.Json is JsonValue jv && jv.TryGetValue<string>(out var s)) text = s;
        else throw new ArgValueException($"Argument `{a.Name}` expects a string (secret:NAME, env:VAR, file:PATH or @-).", null);
        if (text.Length == 0)
            throw new ArgValueException($"Argument `{a.Name}` is empty.", "Give secret:NAME, env:VAR, file:PATH or @-.");
        try
        {
            // Only values that were written somewhere others can read (argv, a request) are warned about.
            return SecretRef.Parse(text, warnLiteral: v.Origin is not (ValueOrigin.Stdin or ValueOrigin.File));
        }
        catch (FormatException ex)
        {
            throw new ArgValueException($"Argument `{a.Name}`: {ex.Message}", text.StartsWith(SecretRef.StorePrefix, StringComparison.Ordinal) ? SecretNames.Rule : null);
        }
    }

    static byte[] ParseBytes(ArgInfo a, RawValue v)
    {
        if (v.Bytes is not null) return v.Bytes;
        if (v.Text is not null) return Encoding.UTF8.GetBytes(v.Text);
        if (v.Json is JsonValue jv && jv.TryGetValue<string>(out var s)) return Encoding.UTF8.GetBytes(s);
        throw new ArgValueException($"Argument `{a.Name}` expects text; pass a JSON string or key=@file.", null);
    }
}
