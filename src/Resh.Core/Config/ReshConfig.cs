using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Tomlyn.Model;

namespace Resh.Core.Config;

/// <summary>
/// The TOML config file (SPEC §7), exposed as JSON so handles read named connections, inventory and
/// defaults the same way they read arguments. Nothing in the core requires a config file.
/// </summary>
public sealed class ReshConfig
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
            var line = ex.Line ?? FirstDiagnosticLine(ex);
            var reason = FirstDiagnostic(ex) ?? ExceptionTranslation.OneLine(ex.Message);
            throw ReshError.Usage($"Config file {path ?? "(text)"} is not valid TOML{(line is { } l ? $" at line {l}" : "")}: {reason.TrimEnd('.')}.",
                line is { } n ? $"Fix line {n} of {path ?? "the file"}." : "Fix the file; `resh` reads TOML (https://toml.io).",
                new JsonObject { ["path"] = path, ["line"] = line }).ToException();
        }
        catch (Exception ex) when (ex is not ReshException)
        {
            throw ReshError.Usage($"Config file {path ?? "(text)"} is not valid TOML: {ExceptionTranslation.Describe(ex)}",
                "Fix the file; `resh` reads TOML (https://toml.io).").ToException();
        }
        return new ReshConfig(path, (JsonObject)ToJson(table)!);
    }

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
