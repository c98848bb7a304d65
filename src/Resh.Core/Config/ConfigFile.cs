using System.Text.Json.Nodes;

namespace Resh.Core.Config;

/// <summary>
/// The config file of one call, found and read on first use. <see cref="Defaults"/> is asked on every
/// call, so it only parses the TOML when the file mentions <c>defaults</c> (a call without a config
/// file, or with one that sets no defaults, pays a stat or a read, not a parse); the full config is
/// parsed when a verb asks for it (named connections, inventory).
/// </summary>
public sealed class ConfigFile(ReshPaths paths, Func<string?> overridePath)
{
    ReshConfig? _config;
    string? _path;
    string? _text;
    bool _located;

    public ReshConfig Config
    {
        get
        {
            if (_config is not null) return _config;
            Read();
            return _config = _text is null ? ReshConfig.Empty : ReshConfig.FromText(_text, _path);
        }
    }

    /// <summary>The <c>[defaults]</c> table, or null when the config sets none.</summary>
    public JsonObject? Defaults
    {
        get
        {
            Read();
            if (_text is null || !_text.Contains("defaults", StringComparison.Ordinal)) return null;
            return Config.Section("defaults");
        }
    }

    /// <summary>True when the config has <c>[audit] enabled = true</c> (parsed only when the file mentions audit).</summary>
    public bool AuditEnabled
    {
        get
        {
            Read();
            if (_text is null || !_text.Contains("audit", StringComparison.Ordinal)) return false;
            return Config.Section("audit")?["enabled"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<bool>(out var on) && on;
        }
    }

    /// <summary>True when the config has <c>[events] record = true</c> (parsed only when the file mentions both).</summary>
    public bool EventsRecord
    {
        get
        {
            Read();
            if (_text is null || !_text.Contains("record", StringComparison.Ordinal) || !_text.Contains("events", StringComparison.Ordinal)) return false;
            return Config.Section("events")?["record"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<bool>(out var on) && on;
        }
    }

    void Read()
    {
        if (_located) return;
        _located = true;
        _path = ReshConfig.Locate(paths, overridePath());
        if (_path is not null) _text = ReshConfig.ReadText(_path);
    }
}
