namespace Resh.Handles.Log;

/// <summary>One parsed log line, before it becomes a result record: the time is kept as a value for filtering and buckets.</summary>
public sealed class LogEntry
{
    public string Format { get; set; } = "plain";
    public DateTimeOffset? Time { get; set; }
    public int? Level { get; set; }
    public string? Host { get; set; }
    public string? App { get; set; }
    public int? Pid { get; set; }
    public string Message { get; set; } = "";
    public Dictionary<string, string>? Fields { get; set; }

    public void Set(string key, string value) => (Fields ??= new(StringComparer.Ordinal))[key] = value;

    /// <summary>A field by name for filters and stats: the named parts first (level, host, app, pid, format), then the format's own fields.</summary>
    public string? Get(string key) => key switch
    {
        "level" => LogLevels.Name(Level),
        "host" => Host,
        "app" => App,
        "pid" => Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "format" => Format,
        "message" => Message,
        _ => Fields is not null && Fields.TryGetValue(key, out var v) ? v : null,
    };
}
