namespace Resh.Core.Output;

/// <summary>SPEC §4 output formats.</summary>
public enum OutputFormat
{
    Auto,
    Json,
    JsonPretty,
    Ndjson,
    Table,
    Yaml,
    Raw,
}

public static class OutputFormats
{
    public static readonly string[] Names = ["auto", "json", "json-pretty", "ndjson", "table", "yaml", "raw"];

    public static bool TryParse(string text, out OutputFormat format)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "auto": format = OutputFormat.Auto; return true;
            case "json": format = OutputFormat.Json; return true;
            case "json-pretty" or "pretty": format = OutputFormat.JsonPretty; return true;
            case "ndjson" or "jsonl": format = OutputFormat.Ndjson; return true;
            case "table" or "text": format = OutputFormat.Table; return true;
            case "yaml" or "yml": format = OutputFormat.Yaml; return true;
            case "raw": format = OutputFormat.Raw; return true;
            default: format = OutputFormat.Auto; return false;
        }
    }

    public static string ToWire(this OutputFormat f) => Names[(int)f];

    public static bool IsJsonLike(this OutputFormat f) => f is OutputFormat.Json or OutputFormat.JsonPretty or OutputFormat.Ndjson;
}
