using System.Text.Json;

namespace Resh.AgentFront;

/// <summary>
/// What `resh agent` resolved and hands the front as one JSON document on an inherited file descriptor (never argv or
/// the environment: it carries the NATS credentials). Every check was made by the full resh; the front only reads.
/// </summary>
public sealed class FrontSettings
{
    public string Url { get; private init; } = "";
    public string Name { get; private init; } = "";
    public string? User { get; private init; }
    public string? Password { get; private init; }
    public string? Token { get; private init; }
    public string? Seed { get; private init; }
    public string? NKey { get; private init; }
    public string? CredsFile { get; private init; }
    public string Tls { get; private init; } = "auto";
    public string? Ca { get; private init; }
    public string Host { get; private init; } = "";
    /// <summary>The ready line, as the full resh words it (host, urls as shown, exec, callers).</summary>
    public string Ready { get; private init; } = "";
    /// <summary>The worker's argv: [0] is the program (/proc/self/fd/N: the binary `resh agent` ran from, held open).</summary>
    public string[] Worker { get; private init; } = [];
    public TimeSpan WorkerIdle { get; private init; } = TimeSpan.FromSeconds(30);
    public int MaxMessage { get; private init; } = 64 << 20;
    /// <summary>Texts no log line shows (a password inside a URL).</summary>
    public string[] Hidden { get; private init; } = [];

    public static FrontSettings Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var doc = JsonDocument.ParseValue(ref reader);
        var o = doc.RootElement;
        string? S(string k) => o.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        string[] A(string k) => o.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetString() ?? "").ToArray() : [];
        long N(string k, long fallback) => o.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : fallback;
        return new FrontSettings
        {
            Url = S("url") ?? throw new FormatException("the settings have no url"),
            Name = S("name") ?? "resh-agent",
            User = S("user"),
            Password = S("password"),
            Token = S("token"),
            Seed = S("seed"),
            NKey = S("nkey"),
            CredsFile = S("creds_file"),
            Tls = S("tls") ?? "auto",
            Ca = S("ca"),
            Host = S("host") ?? throw new FormatException("the settings have no host"),
            Ready = S("ready") ?? "",
            Worker = A("worker") is { Length: > 0 } w ? w : throw new FormatException("the settings have no worker command"),
            WorkerIdle = TimeSpan.FromMilliseconds(N("worker_idle_ms", 30_000)),
            MaxMessage = (int)Math.Clamp(N("max_message", 64 << 20), 1024, AgentFrame.MaxFrame - 4096),
            Hidden = A("hidden"),
        };
    }
}
