using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Transport.Http;

namespace Resh.Surfaces.Serve.Identity;

/// <summary>Who a request acts for: kind token, cert or ldap, a name, and the role its calls are checked against.</summary>
public sealed record ServeIdentity(string Kind, string Name, string Role)
{
    /// <summary>How the audit trail and the rate limit name it: `token:ci`, `cert:ci-runner`, `ldap:alice`.</summary>
    public string Key => Kind + ":" + Name;
}

/// <summary>The outcome of the authentication step: an identity, or a refusal with its HTTP status (401, 403, 429, 503).</summary>
public sealed record AuthOutcome(ServeIdentity? Identity, ReshError? Refusal, int Status, string? Caller)
{
    /// <summary>A 429 (failed logins throttled): the seconds to send as Retry-After.</summary>
    public int? RetryAfter { get; init; }

    public static AuthOutcome Ok(ServeIdentity id) => new(id, null, 200, id.Key);
    public static AuthOutcome Refused(ReshError error, int status = 401, string? caller = null) => new(null, error, status, caller);
}

/// <summary>
/// The authentication step of `resh serve`. An `Authorization` header decides when present: `Bearer TOKEN` (API tokens,
/// checked by the caller's token check) or `Basic` (an LDAP login, [serve.ldap]; only over TLS). Without one, a client
/// certificate verified by the TLS handshake (--client-ca) names the identity through [serve.clients]. Nothing else
/// is an identity: 401.
/// </summary>
public sealed class ServeAuthenticator
{
    readonly ClientCertificateMap? _clients;
    readonly LdapLogin? _ldap;
    readonly bool _allowPlaintextBasic;

    public ServeAuthenticator(ClientCertificateMap? clients, LdapLogin? ldap, bool allowPlaintextBasic)
    {
        _clients = clients;
        _ldap = ldap;
        _allowPlaintextBasic = allowPlaintextBasic;
    }

    public bool Ldap => _ldap is not null;

    /// <summary>The WWW-Authenticate challenges of a 401: Bearer always, Basic when LDAP logins are configured.</summary>
    public IEnumerable<string> Challenges()
    {
        yield return "Bearer realm=\"resh\"";
        if (_ldap is not null) yield return "Basic realm=\"resh\", charset=\"UTF-8\"";
    }

    /// <summary>Who the request with this head (and this verified client certificate, or null) acts for; from the head alone, before any body.</summary>
    public async Task<AuthOutcome> AuthenticateAsync(HttpRequestHead head, X509Certificate2? clientCertificate, Func<HttpRequestHead, ((string Name, string Role)?, ReshError?)> bearer, CancellationToken ct)
    {
        var auth = head.Header("Authorization");
        if (auth is not null && auth.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            if (_ldap is null)
                return AuthOutcome.Refused(ReshError.PermissionDenied("This server takes no user/password logins (no [serve.ldap] in its config).", "Send Authorization: Bearer TOKEN."));
            if (!head.Tls && !_allowPlaintextBasic && !(head.Remote is { } r && IPAddress.IsLoopback(r.Address)))
                return AuthOutcome.Refused(ReshError.PermissionDenied("A password is taken only over TLS.", "Call the server with https:// (it needs --tls-cert)."));
            return await _ldap.LoginAsync(auth[6..].Trim(), head.Remote?.Address, ct).ConfigureAwait(false);
        }
        if (auth is not null || clientCertificate is null)
        {
            var (token, refusal) = bearer(head);
            if (refusal is not null) return AuthOutcome.Refused(refusal, 401, token is { } t ? "token:" + t.Name : null);
            return AuthOutcome.Ok(new ServeIdentity("token", token!.Value.Name, token.Value.Role));
        }
        return _clients?.Identify(clientCertificate)
            ?? AuthOutcome.Refused(ReshError.PermissionDenied("This server maps no client certificate to an identity.", "Send Authorization: Bearer TOKEN."));
    }

    /// <summary>Builds the authenticator from --client-ca and the config ([serve.clients], [serve.ldap]); a bad config stops the server (usage).</summary>
    public static ServeAuthenticator Create(ReshConfig config, ReshRuntime runtime, bool clientCa, bool allowPlaintext) =>
        new(clientCa ? ClientCertificateMap.FromConfig(config) : null, LdapLogin.FromConfig(config, runtime), allowPlaintext);

    /// <summary>A TOML number (integer or float) as a double; null when absent or not a number.</summary>
    internal static double? Number(JsonNode? node) => node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
        ? v.TryGetValue<long>(out var l) ? l : v.TryGetValue<int>(out var i) ? i : v.TryGetValue<double>(out var d) ? d : null
        : null;

    internal static string? Str(JsonObject table, string key, string section)
    {
        var node = table[key];
        if (node is null) return null;
        if (node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String) return v.GetValue<string>();
        throw ReshError.Usage($"[{section}] {key} must be a string.", $"Example: {key} = \"...\"").ToException();
    }
}

/// <summary>
/// mTLS identities: [serve.clients] maps a name of a verified client certificate to a role. Keys are `cn:NAME` (the
/// subject's common name), `dns:NAME`, `email:ADDRESS` or `uri:URI` (its subject alternative names); the first key
/// that matches, in that order, names the identity `cert:KEY` (`cert:cn:ci-runner`, `cert:dns:deploy.example.com`).
/// </summary>
public sealed class ClientCertificateMap
{
    readonly Dictionary<string, string> _roles;

    ClientCertificateMap(Dictionary<string, string> roles) => _roles = roles;

    static readonly string[] Prefixes = ["cn:", "dns:", "email:", "uri:"];

    public static ClientCertificateMap FromConfig(ReshConfig config)
    {
        var roles = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (config.Section("serve.clients") is { } table)
            foreach (var (key, value) in table)
            {
                if (!Prefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase) && key.Length > p.Length))
                    throw ReshError.Usage($"[serve.clients] key `{key}` names no certificate field.", "Keys are cn:NAME, dns:NAME, email:ADDRESS or uri:URI, e.g. \"cn:ci-runner\" = \"ops\".").ToException();
                if (value is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.String || !TokenStore.ValidName(v.GetValue<string>()))
                    throw ReshError.Usage($"[serve.clients] `{key}` must name a role (letters, digits, _ - .).", "Example: \"cn:ci-runner\" = \"ops\"").ToException();
                roles[key] = v.GetValue<string>();
            }
        return new ClientCertificateMap(roles);
    }

    /// <summary>The names a certificate shows, in the order they are tried: cn:, then each dns:, email:, uri: SAN.</summary>
    public static List<string> Names(X509Certificate2 cert)
    {
        var names = new List<string>();
        var cn = cert.GetNameInfo(X509NameType.SimpleName, false);
        if (!string.IsNullOrEmpty(cn)) names.Add("cn:" + cn);
        foreach (var ext in cert.Extensions)
        {
            if (ext is not X509SubjectAlternativeNameExtension san) continue;
            foreach (var d in san.EnumerateDnsNames()) names.Add("dns:" + d);
            try
            {
                var reader = new System.Formats.Asn1.AsnReader(san.RawData, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
                while (reader.HasData)
                {
                    var tag = reader.PeekTag();
                    if (tag.TagClass == System.Formats.Asn1.TagClass.ContextSpecific && tag.TagValue is 1 or 6)
                        names.Add((tag.TagValue == 1 ? "email:" : "uri:") + reader.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, tag));
                    else reader.ReadEncodedValue();
                }
            }
            catch (System.Formats.Asn1.AsnContentException) { }
        }
        return names;
    }

    public AuthOutcome Identify(X509Certificate2 cert)
    {
        var names = Names(cert);
        foreach (var prefix in Prefixes)
            foreach (var n in names)
                if (n.StartsWith(prefix, StringComparison.Ordinal) && _roles.TryGetValue(n, out var role))
                    // The identity keeps the field: cn:x and dns:x are two certificates' names, not one identity (s38 attacker #7).
                    return AuthOutcome.Ok(new ServeIdentity("cert", Clip(n), role));
        var shown = names.Count > 0 ? Clip(names[0]) : "(no name)";
        return AuthOutcome.Refused(ReshError.PermissionDenied($"The client certificate `{shown}` is valid but [serve.clients] maps none of its names to a role.",
            $"Add \"{shown}\" = \"ROLE\" under [serve.clients] in the server's config."), 403, "cert:" + (names.Count > 0 ? Clip(names[0]) : "unnamed"));
    }

    static string Clip(string s) => s.Length > 128 ? s[..128] : s;
}
