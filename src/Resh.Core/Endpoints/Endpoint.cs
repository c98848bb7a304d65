using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Secrets;

namespace Resh.Core.Endpoints;

/// <summary>
/// A server a handle talks to (SPEC §9): either named inline (<c>[user@]host[:port]</c>) or by a
/// <c>[SCHEME.NAME]</c> table of the config file (<c>url</c>, <c>user</c>, <c>password</c>, <c>tls</c>,
/// <c>ca</c>, timeouts and backend options). <see cref="Table"/> is the profile, null for an inline server.
/// </summary>
public sealed record Endpoint(string Scheme, string? Profile, string Host, int? Port, string? User, JsonObject? Table)
{
    /// <summary>A string setting of the profile (<c>tls</c>, <c>ca</c>, <c>backend</c>...), or null.</summary>
    /// <summary>
    /// The table's <c>tls</c> setting (or <paramref name="fallback"/>, from the url's scheme or a ca), normalised to on, off,
    /// insecure, or auto where the protocol negotiates TLS; anything else is a usage error naming <paramref name="table"/>.
    /// </summary>
    public string TlsMode(string table, string fallback, bool allowAuto = false)
    {
        var tls = Setting("tls") ?? fallback;
        if (tls is "true" or "verify" or "required") tls = "on";
        if (tls is "false" or "none" or "disabled") tls = "off";
        if (tls is not ("on" or "off" or "insecure") && !(allowAuto && tls == "auto"))
            throw ReshError.Usage($"tls = \"{tls}\" in {table} is not a TLS mode.",
                allowAuto ? "Use auto (TLS when the server asks for it), on, off or insecure." : "Use on, off or insecure.").ToException();
        return tls;
    }

    /// <summary>True when the endpoint's host is this machine's loopback (localhost, 127.0.0.0/8, ::1): nothing sent there crosses a network.</summary>
    public bool IsLoopback => Host.Trim('[', ']') is var h && (h == "localhost" || (IPAddress.TryParse(h, out var ip) && IPAddress.IsLoopback(ip)));

    public string? Setting(string key) =>
        Table is not null && Table.TryGetPropertyValue(key, out var n) && n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>An integer setting of the profile, or null.</summary>
    public long? IntSetting(string key) =>
        Table is not null && Table.TryGetPropertyValue(key, out var n) && n is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    /// <summary>The profile's secret-typed value (<c>password</c>, <c>key</c>...), resolved now; null when absent or inline.</summary>
    public SecretValue? Secret(VerbContext ctx, string key) =>
        Profile is null ? null : ctx.GetConfigSecret(Table, key, $"{Scheme}.{Profile}");

    /// <summary>host:port as a person writes it (IPv6 in brackets).</summary>
    public string Display(int defaultPort) =>
        (Host.Contains(':') ? $"[{Host}]" : Host) + ":" + (Port ?? defaultPort).ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Resolves the authority of a target (or a <c>server=</c> value) to an <see cref="Endpoint"/>, the one way
/// every server-backed handle names its server (SPEC §9). Inline <c>[user@]host[:port]</c> is used as written;
/// a bare NAME that is a <c>[SCHEME.NAME]</c> table of the config is that profile; an empty authority is
/// <c>[SCHEME.default]</c> or null (the handle's embedded default). A name that is neither configured nor an
/// address nor resolvable is <c>not_found</c> with the configured names as the hint.
/// </summary>
public static class EndpointResolver
{
    public static Endpoint? Resolve(VerbContext ctx, string scheme, string authority, bool checkResolvable = true)
    {
        var config = ctx.Runtime.Config;
        if (authority.Length == 0)
        {
            var def = config.Section($"{scheme}.default");
            return def is null ? null : FromProfile(scheme, "default", def);
        }
        if (!authority.Contains('@') && !authority.Contains(':') && config.Section($"{scheme}.{authority}") is { } table)
            return FromProfile(scheme, authority, table);
        var parsed = ParseInline(scheme, authority);
        if (checkResolvable && !IPAddress.TryParse(parsed.Host, out _) && parsed.Port is null && !parsed.Host.Contains('.')
            && parsed.Host != "localhost")
        {
            // A bare word: a profile name the user expected, or a short host name; it must resolve to be a host.
            bool resolves;
            try { resolves = Dns.GetHostAddresses(parsed.Host).Length > 0; }
            catch (System.Net.Sockets.SocketException) { resolves = false; }
            if (!resolves)
            {
                var names = ProfileNames(ctx, scheme);
                throw ReshError.NotFound($"`{authority}` is neither a configured {scheme} connection nor a host name that resolves.",
                    names.Count > 0 ? $"Configured: {string.Join(", ", names)} (tables [{scheme}.NAME] of the config file)."
                                    : $"Write host:port, or add a [{scheme}.{authority}] table with url = \"...\" to the config file.",
                    new JsonObject { ["configured"] = new JsonArray(names.Select(n => (JsonNode?)n).ToArray()) }).ToException();
            }
        }
        return parsed;
    }

    /// <summary>The NAMEs of the <c>[SCHEME.NAME]</c> tables of the config file.</summary>
    public static IReadOnlyList<string> ProfileNames(VerbContext ctx, string scheme) =>
        ctx.Runtime.Config.Section(scheme) is { } s ? s.Where(kv => kv.Value is JsonObject).Select(kv => kv.Key).ToList() : [];

    static Endpoint FromProfile(string scheme, string name, JsonObject table)
    {
        string? host = null, user = null;
        int? port = null;
        var url = table.TryGetPropertyValue("url", out var u) && u is JsonValue uv && uv.TryGetValue<string>(out var us) ? us : null;
        if (url is not null)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
                throw ReshError.Usage($"The config value `{scheme}.{name}.url` is not a URL: {url}.", "Write url = \"SCHEME://host:port\".").ToException();
            host = uri.Host.Trim('[', ']');
            port = uri.IsDefaultPort || uri.Port < 0 ? null : uri.Port;
            if (uri.UserInfo.Length > 0)
            {
                if (uri.UserInfo.Contains(':'))
                    throw ReshError.Usage($"The config value `{scheme}.{name}.url` carries a password.",
                        $"Put it in {scheme}.{name}.password as secret:NAME, env:VAR or file:PATH.").ToException();
                user = Uri.UnescapeDataString(uri.UserInfo);
            }
        }
        if (table.TryGetPropertyValue("host", out var h) && h is JsonValue hv && hv.TryGetValue<string>(out var hs)) host = hs;
        if (table.TryGetPropertyValue("port", out var p) && p is JsonValue pv && pv.TryGetValue<long>(out var pl)) port = (int)pl;
        if (table.TryGetPropertyValue("user", out var un) && un is JsonValue unv && unv.TryGetValue<string>(out var uns)) user = uns;
        if (host is null)
            throw ReshError.Usage($"The connection [{scheme}.{name}] names no server.", $"Add url = \"{scheme}://host:port\" (or host = ...) to [{scheme}.{name}].").ToException();
        return new Endpoint(scheme, name, host, port, user, table);
    }

    /// <summary>Parses <c>[user@]host[:port]</c> (IPv6 in brackets). Throws a usage error on anything else.</summary>
    public static Endpoint ParseInline(string scheme, string authority)
    {
        string? user = null;
        var at = authority.LastIndexOf('@');
        var rest = authority;
        if (at >= 0)
        {
            user = authority[..at];
            rest = authority[(at + 1)..];
            if (user.Contains(':'))
                throw ReshError.Usage($"A password in the target ({scheme}://user:PASSWORD@...) would be visible to every user on this machine.",
                    "Pass it with password=secret:NAME, env:VAR, file:PATH or @-.").ToException();
            if (user.Length == 0) throw Bad(scheme, authority);
        }
        string host;
        int? port = null;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            if (close < 0) throw Bad(scheme, authority);
            host = rest[1..close];
            var after = rest[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':') throw Bad(scheme, authority);
                port = ParsePort(scheme, authority, after[1..]);
            }
            if (!IPAddress.TryParse(host, out _)) throw Bad(scheme, authority);
        }
        else
        {
            var colon = rest.IndexOf(':');
            if (colon >= 0 && rest.IndexOf(':', colon + 1) >= 0 && IPAddress.TryParse(rest, out _)) host = rest; // bare IPv6
            else if (colon >= 0)
            {
                host = rest[..colon];
                port = ParsePort(scheme, authority, rest[(colon + 1)..]);
            }
            else host = rest;
        }
        if (!IsHostName(host) && !IPAddress.TryParse(host, out _)) throw Bad(scheme, authority);
        return new Endpoint(scheme, null, host, port, user, null);
    }

    /// <summary>A DNS host name: letters, digits, hyphens, underscores and dots, at most 253 characters.</summary>
    public static bool IsHostName(string host)
    {
        if (host.Length is 0 or > 253) return false;
        foreach (var label in host.TrimEnd('.').Split('.'))
        {
            if (label.Length is 0 or > 63) return false;
            foreach (var c in label)
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        }
        return true;
    }

    static int ParsePort(string scheme, string authority, string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536) return port;
        throw ReshError.Usage($"`{text}` in {scheme}://{authority} is not a port (1-65535).", "Write host:port, e.g. 127.0.0.1:2525.").ToException();
    }

    static ReshException Bad(string scheme, string authority) =>
        ReshError.Usage($"`{authority}` is not a server address ({scheme}://[user@]host[:port] or a configured name).",
            $"Examples: {scheme}://127.0.0.1:2525, {scheme}://user@mail.example.com, {scheme}://NAME for a [{scheme}.NAME] table.").ToException();
}
