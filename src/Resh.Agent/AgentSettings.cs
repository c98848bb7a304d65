using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Secrets;
using Resh.Core.Values;

namespace Resh.Agent;

/// <summary>
/// The <c>[agent]</c> table of the config file, read by both sides: the agent (`resh agent --config FILE`: its NATS
/// connection, host name, facts, trusted callers, exec) and the caller (`agent://`: the NATS connection and its key).
/// Credentials are secret references (env:, file:, secret:), never literals in argv.
/// </summary>
public sealed class AgentSettings
{
    static readonly string[] Keys =
    [
        "url", "urls", "user", "password", "token", "nkey", "creds", "tls", "ca", "host", "roles", "labels", "exec", "callers",
        "key", "caller", "timeout", "discover_wait", "discover_idle", "max_request", "max_calls", "worker_idle",
    ];

    public IReadOnlyList<string> Urls { get; private init; } = ["nats://127.0.0.1:4222"];
    public string? User { get; private init; }
    public SecretRef? Password { get; private init; }
    public SecretRef? Token { get; private init; }
    public SecretRef? NKeySeed { get; private init; }
    public string? CredsFile { get; private init; }
    public string Tls { get; private init; } = "auto";
    public string? Ca { get; private init; }
    public string Host { get; private set; } = DefaultHost();
    public IReadOnlyList<string> Roles { get; private init; } = [];
    public IReadOnlyDictionary<string, string> Labels { get; private init; } = new Dictionary<string, string>();
    public bool Exec { get; private init; }
    public IReadOnlyDictionary<string, Caller> Callers { get; private init; } = new Dictionary<string, Caller>();
    public string? Key { get; private init; }
    public string? CallerName { get; private init; }
    public TimeSpan Timeout { get; private init; } = TimeSpan.FromSeconds(30);
    public TimeSpan DiscoverWait { get; private init; } = TimeSpan.FromSeconds(2);
    public TimeSpan DiscoverIdle { get; private init; } = TimeSpan.FromMilliseconds(300);
    public int MaxRequest { get; private init; } = 1 << 20;
    public int MaxCalls { get; private init; } = 16;
    /// <summary>How long the agent's worker (the full resh behind the front) stays with no call before it exits.</summary>
    public TimeSpan WorkerIdle { get; private init; } = TimeSpan.FromSeconds(30);

    /// <summary>A trusted caller: its Ed25519 public key (32 bytes) and the role its calls are checked against.</summary>
    public sealed record Caller(string Name, byte[] PublicKey, string Role);

    /// <summary>These settings under another host name (a reload keeps the name the agent subscribed and answers as).</summary>
    public AgentSettings WithHost(string host)
    {
        var copy = (AgentSettings)MemberwiseClone();
        copy.Host = host;
        return copy;
    }

    /// <summary>No callers, nothing allowed: what a worker whose config file does not read runs with (it refuses every call).</summary>
    public static AgentSettings Nothing(string host) => new() { Host = host };

    /// <summary>The environment variables the credentials are read from (env: references): the front and the worker are started without them.</summary>
    public IEnumerable<string> SecretVariables() =>
        new[] { Password, Token, NKeySeed }.Where(r => r is { Kind: SecretSourceKind.Env }).Select(r => r!.Name!);

    public static AgentSettings Read(ReshConfig config)
    {
        var t = config.Section("agent") ?? new JsonObject();
        foreach (var (key, _) in t)
            if (Array.IndexOf(Keys, key) < 0)
                throw Usage($"[agent] has an unknown key `{Clip(key)}`.", $"[agent] has {string.Join(", ", Keys)}.");
        var urls = Strings(t, "urls") is { Count: > 0 } list ? list : Str(t, "url") is { } one ? [one] : null;
        if (urls is not null)
            foreach (var u in urls)
                if (!Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls"))
                    throw Usage($"[agent] url `{Clip(u)}` is not a nats:// or tls:// URL.", "Example: url = \"nats://127.0.0.1:4222\"");
        var tls = Str(t, "tls") ?? "auto";
        if (tls is not ("auto" or "on" or "off"))
            throw Usage($"[agent] tls = \"{Clip(tls)}\" is not auto, on or off.", "Example: tls = \"on\"");
        // A password inside a URL (nats://user:pw@host) is a literal secret: never shown, and never sent in clear off this machine.
        foreach (var u in urls ?? [])
            if (UrlPassword(u) is not null && Uri.TryCreate(u, UriKind.Absolute, out var pu) && !IsLoopback(pu.Host) && pu.Scheme != "tls" && tls == "off")
                throw Usage($"[agent] url `{Clip(Shown(u))}` carries a password, and tls = \"off\" would send it to {Clip(pu.Host)} in clear.",
                    "Set tls = \"on\" (or leave tls out: a URL password turns it on), and move the password to password = \"file:/etc/resh/nats.pw\" (a secret reference) with user = \"NAME\".");
        var host = Str(t, "host") ?? DefaultHost();
        if (!AgentWire.ValidHost(host))
            throw Usage($"[agent] host `{Clip(host)}` is not a host name (letters, digits, . _ -, at most 253).", "Example: host = \"web01\"");
        var roles = Strings(t, "roles") ?? [];
        foreach (var r in roles)
            if (!AgentWire.ValidWord(r)) throw Usage($"[agent] roles has `{Clip(r)}`, which is not a word (letters, digits, . _ -).", "Example: roles = [\"web\", \"db\"]");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (t["labels"] is { } ln)
        {
            if (ln is not JsonObject lo) throw Usage("[agent] labels must be a table of strings.", "Example: labels = { dc = \"fra\" }");
            foreach (var (k, v) in lo)
            {
                if (!AgentWire.ValidWord(k) || v is not JsonValue sv || sv.GetValueKind() != JsonValueKind.String || !AgentWire.ValidWord(sv.GetValue<string>()))
                    throw Usage($"[agent] label `{Clip(k)}` must be a word with a word for its value (letters, digits, . _ -).", "Example: labels = { dc = \"fra\" }");
                labels[k] = sv.GetValue<string>();
            }
        }
        var callers = new Dictionary<string, Caller>(StringComparer.Ordinal);
        if (t["callers"] is { } cn)
        {
            if (cn is not JsonObject co) throw Usage("[agent.callers] must be tables, one per caller.", "Example: [agent.callers.alice] key = \"ed25519:...\" role = \"ops\"");
            foreach (var (name, node) in co)
            {
                if (!AgentWire.ValidWord(name) || node is not JsonObject c)
                    throw Usage($"[agent.callers.{Clip(name)}] must be a table named by a word.", "Example: [agent.callers.alice] key = \"ed25519:...\" role = \"ops\"");
                foreach (var (k, _) in c)
                    if (k is not ("key" or "role")) throw Usage($"[agent.callers.{name}] has an unknown key `{Clip(k)}`.", "A caller has key and role.");
                var keyText = Str(c, "key") ?? throw Usage($"[agent.callers.{name}] has no key.", "Add key = \"ed25519:BASE64\" (what `resh agent key create` printed).");
                var role = Str(c, "role") ?? throw Usage($"[agent.callers.{name}] has no role.", "Add role = \"NAME\" naming a [roles.NAME] table.");
                callers[name] = new Caller(name, AgentKeys.ParsePublic(keyText, $"[agent.callers.{name}]"), role);
            }
        }
        var creds = Str(t, "creds");
        return new AgentSettings
        {
            Urls = urls ?? ["nats://127.0.0.1:4222"],
            User = Str(t, "user"),
            Password = Secret(t, "password"),
            Token = Secret(t, "token"),
            NKeySeed = Secret(t, "nkey"),
            CredsFile = creds is null ? null : Path.GetFullPath(creds),
            Tls = tls,
            Ca = Str(t, "ca") is { } ca ? Path.GetFullPath(ca) : null,
            Host = host,
            Roles = roles,
            Labels = labels,
            Exec = Bool(t, "exec"),
            Callers = callers,
            Key = Str(t, "key"),
            CallerName = Str(t, "caller"),
            Timeout = Duration(t, "timeout", TimeSpan.FromSeconds(30)),
            DiscoverWait = Duration(t, "discover_wait", TimeSpan.FromSeconds(2)),
            DiscoverIdle = Duration(t, "discover_idle", TimeSpan.FromMilliseconds(300)),
            MaxRequest = (int)Int(t, "max_request", 1 << 20, 1024, 64 << 20),
            MaxCalls = (int)Int(t, "max_calls", 16, 1, 1024),
            WorkerIdle = Duration(t, "worker_idle", TimeSpan.FromSeconds(30)),
        };
    }

    /// <summary>The facts an agent answers discovery with: os and arch filled in, roles and labels from the config.</summary>
    public JsonObject Facts() => new()
    {
        ["os"] = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "macos" : OperatingSystem.IsWindows() ? "windows" : "other",
        ["arch"] = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
        ["roles"] = new JsonArray(Roles.Select(r => (JsonNode?)JsonValue.Create(r)).ToArray()),
        ["labels"] = new JsonObject(Labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
    };

    /// <summary>NATS options: every URL of [agent] (a cluster), credentials resolved here, TLS as configured.</summary>
    public NatsOpts Nats(ReshRuntime runtime, string name, bool reconnectForever, CancellationToken ct)
    {
        string? Reveal(SecretRef? s, string key) => s is null ? null : SecretResolver.Resolve(s, $"config value `agent.{key}`", runtime, ct).Reveal();
        var password = Reveal(Password, "password");
        if (password is not null && User is null) throw Usage("[agent] has a password but no user.", "Add user = \"NAME\" next to the password.");
        var seed = Reveal(NKeySeed, "nkey")?.Trim();
        var tls = Tls;
        // A password is never sent in clear unless tls = "off" says so (as mq:// on NATS does).
        if ((password is not null || Token is not null || Urls.Any(u => UrlPassword(u) is not null && !(Uri.TryCreate(u, UriKind.Absolute, out var pu) && IsLoopback(pu.Host)))) && tls == "auto") tls = "on";
        var url = string.Join(",", Urls);
        return NatsOpts.Default with
        {
            Url = url,
            Name = name,
            AuthOpts = NatsAuthOpts.Default with
            {
                Username = User,
                Password = password,
                Token = Reveal(Token, "token"),
                Seed = seed,
                NKey = seed is null ? null : NKeyPublic(seed),
                CredsFile = CredsFile,
            },
            TlsOpts = new NatsTlsOpts
            {
                Mode = tls switch { "on" => TlsMode.Require, "off" => TlsMode.Disable, _ => TlsMode.Auto },
                CaFile = Ca,
            },
            ConnectTimeout = TimeSpan.FromSeconds(5),
            RequestTimeout = Timeout,
            CommandTimeout = TimeSpan.FromSeconds(10),
            MaxReconnectRetry = reconnectForever ? -1 : 0,
            RetryOnInitialConnect = reconnectForever,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(200),
            ReconnectWaitMax = TimeSpan.FromSeconds(5),
            SubPendingChannelCapacity = 4096,
            LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
            SerializerRegistry = NatsDefaultSerializerRegistry.Default,
        };
    }

    /// <summary>The URLs as logs and envelopes show them: a password in a URL is ***.</summary>
    public string ShownUrls => string.Join(", ", Urls.Select(Shown));

    /// <summary>A URL with the password of its user info replaced by ***.</summary>
    public static string Shown(string url)
    {
        var sep = url.IndexOf("://", StringComparison.Ordinal);
        if (sep < 0) return url;
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], sep + 3);
        var authority = authorityEnd < 0 ? url[(sep + 3)..] : url[(sep + 3)..authorityEnd];
        var at = authority.LastIndexOf('@');
        var colon = at < 0 ? -1 : authority.IndexOf(':');
        if (colon < 0 || colon > at) return url;
        return url[..(sep + 3)] + authority[..colon] + ":***" + authority[at..] + (authorityEnd < 0 ? "" : url[authorityEnd..]);
    }

    /// <summary>The password inside a URL's user info (as written and decoded), or null.</summary>
    public static string? UrlPassword(string url)
    {
        var shown = Shown(url);
        if (shown == url) return null;
        var sep = url.IndexOf("://", StringComparison.Ordinal);
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], sep + 3);
        var authority = authorityEnd < 0 ? url[(sep + 3)..] : url[(sep + 3)..authorityEnd];
        var at = authority.LastIndexOf('@');
        var colon = authority.IndexOf(':');
        return authority[(colon + 1)..at];
    }

    /// <summary>Every password inside the URLs, as written and percent-decoded: what a log line must never show.</summary>
    public IReadOnlyList<string> UrlSecrets() => Urls.Select(UrlPassword).Where(p => !string.IsNullOrEmpty(p))
        .SelectMany(p => new[] { p!, Uri.UnescapeDataString(p!) }).Distinct().OrderByDescending(p => p.Length).ToArray();

    static bool IsLoopback(string host) =>
        host is "localhost" || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));

    /// <summary>The public key (U...) of an NKEY seed (SU...), which NATS.Net wants beside the seed.</summary>
    static string? NKeyPublic(string seed)
    {
        try { return NATS.NKeys.KeyPair.FromSeed(seed).GetPublicKey(); }
        catch (Exception e) when (e is FormatException or ArgumentException or NATS.NKeys.NKeysException or IndexOutOfRangeException)
        {
            throw Usage("[agent] nkey does not hold an NKEY seed (SU...).", "nkey names the seed as a secret reference: nkey = \"file:/etc/resh/agent.nk\".");
        }
    }

    static string DefaultHost()
    {
        var name = Environment.MachineName.ToLowerInvariant();
        return AgentWire.ValidHost(name) ? name : "localhost";
    }

    static string? Str(JsonObject t, string key) => t[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw Usage($"[agent] {key} must be a string.", $"Example: {key} = \"...\""),
    };

    static List<string>? Strings(JsonObject t, string key)
    {
        var node = t[key];
        if (node is null) return null;
        if (node is JsonArray a && a.All(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String)) return a.Select(n => n!.GetValue<string>()).ToList();
        throw Usage($"[agent] {key} must be a list of strings.", $"Example: {key} = [\"a\", \"b\"]");
    }

    static bool Bool(JsonObject t, string key) => t[key] switch
    {
        null => false,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => throw Usage($"[agent] {key} must be true or false.", $"Example: {key} = true"),
    };

    static long Int(JsonObject t, string key, long fallback, long min, long max)
    {
        var node = t[key];
        if (node is null) return fallback;
        if (node is JsonValue v && v.TryGetValue<long>(out var n) && n >= min && n <= max) return n;
        throw Usage($"[agent] {key} must be a whole number from {min} to {max}.", $"Example: {key} = {fallback}");
    }

    static TimeSpan Duration(JsonObject t, string key, TimeSpan fallback)
    {
        var text = Str(t, key);
        if (text is null) return fallback;
        if (DurationValue.TryParse(text, out var d) && d > TimeSpan.Zero && d <= TimeSpan.FromHours(1)) return d;
        throw Usage($"[agent] {key} = \"{Clip(text)}\" is not a duration between 1ms and 1h.", $"Example: {key} = \"{DurationValue.Format(fallback)}\"");
    }

    static SecretRef? Secret(JsonObject t, string key)
    {
        var text = Str(t, key);
        if (text is null) return null;
        try
        {
            var r = SecretRef.Parse(text, warnLiteral: false);
            if (r.Kind == SecretSourceKind.Literal)
                throw Usage($"[agent] {key} is written in the config file as it is.", $"Give a reference instead: {key} = \"env:VAR\", \"file:/path\" or \"secret:NAME\".");
            return r;
        }
        catch (FormatException e) { throw Usage($"[agent] {key}: {e.Message}", $"Example: {key} = \"env:VAR\""); }
    }

    static ReshException Usage(string message, string hint) => ReshError.Usage(message, hint).ToException();

    internal static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
