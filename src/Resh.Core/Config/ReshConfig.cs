using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Tomlyn.Model;

namespace Resh.Core.Config;

/// <summary>
/// The TOML config file (SPEC §7), exposed as JSON so handles read named connections, inventory and
/// defaults the same way they read arguments. Nothing in the core requires a config file.
/// </summary>
public sealed partial class ReshConfig
{
    ReshConfig(string? path, JsonObject root)
    {
        Path = path;
        Root = root;
    }

    public string? Path { get; }
    public JsonObject Root { get; }

    public static ReshConfig Empty { get; } = new(null, new JsonObject());

    /// <summary>Loads the first existing candidate; a named file that is missing or malformed is a usage error.</summary>
    public static ReshConfig Load(ReshPaths paths, string? overridePath)
    {
        var path = Locate(paths, overridePath);
        return path is null ? Empty : Parse(path);
    }

    /// <summary>The config file in use (--config, $RESH_CONFIG, the user's, the system's), or null when there is none.</summary>
    public static string? Locate(ReshPaths paths, string? overridePath)
    {
        if (overridePath is not null)
        {
            if (!File.Exists(overridePath))
                throw ReshError.Usage($"Config file {overridePath} does not exist.", "Pass an existing TOML file to --config, or drop the flag.").ToException();
            return overridePath;
        }
        foreach (var candidate in paths.ConfigCandidates)
        {
            if (File.Exists(candidate)) return candidate;
        }
        if (paths.ExplicitConfig)
            throw ReshError.Usage($"RESH_CONFIG names {paths.ConfigCandidates[0]}, which does not exist.", "Unset RESH_CONFIG or point it at a TOML file.").ToException();
        return null;
    }

    public static ReshConfig Parse(string path) => FromText(ReadText(path), path);

    /// <summary>The file's text; an unreadable file is a usage error naming it.</summary>
    public static string ReadText(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ReshError.Usage($"Cannot read config file {path}: {ExceptionTranslation.Describe(ex)}", "Check its permissions, or point --config at another file.").ToException();
        }
    }

    public static ReshConfig FromText(string text, string? path)
    {
        TomlTable table;
        try
        {
            table = Tomlyn.TomlSerializer.Deserialize(text, ConfigTomlContext.Default.TomlTable)
                ?? new TomlTable();
        }
        catch (Tomlyn.TomlException ex)
        {
            var (line, column, reason) = Diagnostic(ex);
            var at = line is { } l ? column is { } c ? $" at line {l}, column {c}" : $" at line {l}" : "";
            throw ReshError.Usage($"Config file {path ?? "(text)"} is not valid TOML{at}: {reason.TrimEnd('.')}.",
                line is { } n ? $"Fix line {n} of {path ?? "the file"}." : "Fix the file; `resh` reads TOML (https://toml.io).",
                new JsonObject { ["path"] = path, ["line"] = line, ["column"] = column }).ToException();
        }
        catch (Exception ex) when (ex is not ReshException)
        {
            throw ReshError.Usage($"Config file {path ?? "(text)"} is not valid TOML: {ExceptionTranslation.Describe(ex)}",
                "Fix the file; `resh` reads TOML (https://toml.io).").ToException();
        }
        return new ReshConfig(path, (JsonObject)ToJson(table)!);
    }

    /// <summary>
    /// Where and why the TOML is wrong, as the parser's diagnostic says it (1-based line and column): the converter's
    /// wrapper exception carries the diagnostic in its inner exception or only in its message text, "(25,6) : error :
    /// Expected ...", and a 0-based line of its own (s38 user #12: "line 24" for line 25, and the library's text).
    /// </summary>
    static (int? Line, int? Column, string Reason) Diagnostic(Tomlyn.TomlException ex)
    {
        // The parser's own diagnostic, "(25,6) : error : Expected ...", wherever it is: the converter's wrapper has
        // diagnostics of its own that point at the table being converted, not at the error.
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            var texts = new List<string> { e.Message };
            if (e is Tomlyn.TomlException t) foreach (var d in t.Diagnostics ?? []) texts.Add(d.Message);
            // The last "(L,C) : error :" of a text is the innermost: the wrapper prefixes its own position and text.
            foreach (var text in texts)
                if (DiagnosticText().Matches(text) is { Count: > 0 } all && all[^1] is var m)
                {
                    var rest = text[(m.Index + m.Length)..];
                    var end = rest.IndexOfAny(['\r', '\n']);
                    return (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                        int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), ExceptionTranslation.OneLine(end < 0 ? rest : rest[..end]));
                }
        }
        for (Exception? e = ex; e is not null; e = e.InnerException)
            if (e is Tomlyn.TomlException te)
                foreach (var d in te.Diagnostics ?? [])
                    return (d.Span.Start.Line + 1, d.Span.Start.Column + 1, ExceptionTranslation.OneLine(d.Message));
        return (ex.Line is { } l ? l + 1 : null, null, "the parser gave no reason");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\((\d+),(\d+)\)\s*:\s*error\s*:\s*")]
    private static partial System.Text.RegularExpressions.Regex DiagnosticText();

    static int? FirstDiagnosticLine(Tomlyn.TomlException ex)
    {
        foreach (var d in ex.Diagnostics ?? []) return d.Span.Start.Line + 1;
        return null;
    }

    static string? FirstDiagnostic(Tomlyn.TomlException ex)
    {
        foreach (var d in ex.Diagnostics ?? []) return ExceptionTranslation.OneLine(d.Message);
        return null;
    }

    /// <summary>A section such as <c>[inventory]</c> or <c>[db.prod]</c>, by dotted path; null when absent.</summary>
    public JsonObject? Section(string dottedPath)
    {
        JsonNode? node = Root;
        foreach (var part in dottedPath.Split('.'))
        {
            node = node is JsonObject o && o.TryGetPropertyValue(part, out var child) ? child : null;
            if (node is null) return null;
        }
        return node as JsonObject;
    }

    static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        TomlTable t => new JsonObject(t.Select(kv => KeyValuePair.Create(kv.Key, ToJson(kv.Value)))),
        TomlTableArray a => new JsonArray(a.Select(x => ToJson(x)).ToArray()),
        TomlArray a => new JsonArray(a.Select(x => ToJson(x)).ToArray()),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        double d => JsonValue.Create(d),
        DateTime dt => JsonValue.Create(dt.ToString("O")),
        DateTimeOffset dto => JsonValue.Create(dto.ToString("O")),
        _ => JsonValue.Create(value.ToString()),
    };
}

[Tomlyn.Serialization.TomlSerializable(typeof(TomlTable))]
internal sealed partial class ConfigTomlContext : Tomlyn.Serialization.TomlSerializerContext;
