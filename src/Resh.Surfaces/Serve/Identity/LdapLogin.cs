using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Secrets;
using Resh.Surfaces.Serve.Identity.Ldap;

namespace Resh.Surfaces.Serve.Identity;

/// <summary>
/// User/password logins of `resh serve` (HTTP Basic), verified by an LDAP simple bind ([serve.ldap]). The user's DN is
/// either a template (`user_dn = "uid={user},ou=people,dc=example,dc=com"`) or found by a search as a service account
/// (`bind_dn`, `bind_password` a secret reference, `base`, `filter = "(uid={user})"`). The role is the first
/// [serve.ldap.groups] entry (in config order) naming a group the user is in: the user entry's memberOf values and,
/// with `group_base`, the groups found by `group_filter` (default member, uniqueMember or memberUid). A wrong user
/// and a wrong password give the same 401 in about the same time; the LDAP server unreachable is 503.
/// Successful logins are remembered for <see cref="CacheFor"/> (keyed by a salted hash of user and password), so a
/// client sending Basic on every request does not bind on every request. Failed logins are throttled per user name and
/// client address (<see cref="LoginThrottle"/>: 429 with Retry-After, the directory not asked). A refusal never names
/// the unverified user: it is the client's (`anonymous` and its address in the audit trail).
/// </summary>
public sealed class LdapLogin
{
    static readonly string[] Keys = ["url", "start_tls", "ca", "user_dn", "bind_dn", "bind_password", "base", "filter", "group_base", "group_filter", "timeout", "groups"];

    readonly Uri _url;
    readonly bool _startTls;
    readonly TlsTrust _trust;
    readonly string? _userDn, _bindDn, _base, _filter, _groupBase, _groupFilter;
    readonly SecretRef? _bindPassword;
    readonly ReshRuntime _runtime;
    readonly TimeSpan _timeout;
    readonly List<(string Group, string Role)> _groups = [];
    readonly byte[] _salt = RandomNumberGenerator.GetBytes(32);
    readonly Dictionary<string, (ServeIdentity Id, DateTime Until)> _cache = new(StringComparer.Ordinal);
    readonly Lock _lock = new();
    readonly SemaphoreSlim _binds = new(8);
    /// <summary>One for the process: it outlives the logins built again when the config file changes.</summary>
    static readonly LoginThrottle Throttle = new();

    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(60);
    public const int MaxUser = 256, MaxPassword = 1024;

    LdapLogin(JsonObject t, ReshRuntime runtime)
    {
        _runtime = runtime;
        foreach (var (key, _) in t)
            if (Array.IndexOf(Keys, key) < 0)
                throw ReshError.Usage($"[serve.ldap] has an unknown key `{key}`.", $"[serve.ldap] has {string.Join(", ", Keys)}.").ToException();
        var url = S(t, "url") ?? throw ReshError.Usage("[serve.ldap] needs url.", "Example: url = \"ldaps://ldap.example.com\"").ToException();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("ldap" or "ldaps") || u.Host.Length == 0)
            throw ReshError.Usage($"[serve.ldap] url `{url}` is not ldap://HOST[:PORT] or ldaps://HOST[:PORT].", "Example: url = \"ldaps://ldap.example.com\"").ToException();
        _url = u;
        _startTls = t["start_tls"] is JsonValue st && st.GetValueKind() == System.Text.Json.JsonValueKind.True;
        _trust = TlsTrust.Create(S(t, "ca"), false);
        _userDn = S(t, "user_dn");
        _bindDn = S(t, "bind_dn");
        _base = S(t, "base");
        _filter = S(t, "filter") ?? "(uid={user})";
        _groupBase = S(t, "group_base");
        _groupFilter = S(t, "group_filter") ?? "(|(member={dn})(uniqueMember={dn})(memberUid={user}))";
        if (S(t, "bind_password") is { } bp)
        {
            try { _bindPassword = SecretRef.Parse(bp, warnLiteral: false); }
            catch (FormatException e) { throw ReshError.Usage($"[serve.ldap] bind_password: {e.Message}", "Write bind_password = \"secret:NAME\" (or env:VAR, file:PATH).").ToException(); }
        }
        if ((_userDn is null) == (_base is null))
            throw ReshError.Usage("[serve.ldap] needs either user_dn (a DN template with {user}) or base (and filter) to search the user.",
                "Example: user_dn = \"uid={user},ou=people,dc=example,dc=com\"").ToException();
        if (_userDn is not null && !_userDn.Contains("{user}"))
            throw ReshError.Usage("[serve.ldap] user_dn must contain {user}.", "Example: user_dn = \"uid={user},ou=people,dc=example,dc=com\"").ToException();
        foreach (var f in new[] { _filter, _groupFilter })
            try { LdapFilter.Encode(f.Replace("{user}", "x").Replace("{dn}", "x")); }
            catch (FormatException e) { throw ReshError.Usage($"[serve.ldap] filter `{f}` is not an LDAP filter: {e.Message}.", "Example: filter = \"(uid={user})\"").ToException(); }
        var seconds = t["timeout"] is null ? 5 : ServeAuthenticator.Number(t["timeout"]) ?? -1;
        if (seconds is <= 0 or > 300) throw ReshError.Usage("[serve.ldap] timeout is seconds, 0 to 300.", "Example: timeout = 5").ToException();
        _timeout = TimeSpan.FromSeconds(seconds);
        if (t["groups"] is JsonObject groups)
            foreach (var (dn, role) in groups)
            {
                if (role is not JsonValue rv || rv.GetValueKind() != System.Text.Json.JsonValueKind.String || !TokenStore.ValidName(rv.GetValue<string>()))
                    throw ReshError.Usage($"[serve.ldap.groups] `{dn}` must name a role.", "Example: \"cn=ops,ou=groups,dc=example,dc=com\" = \"ops\"").ToException();
                _groups.Add((NormalizeDn(dn), rv.GetValue<string>()));
            }
        if (_groups.Count == 0)
            throw ReshError.Usage("[serve.ldap] maps no group to a role, so no login could call anything.", "Add [serve.ldap.groups] with \"GROUP DN\" = \"ROLE\".").ToException();
    }

    static string? S(JsonObject t, string key) => ServeAuthenticator.Str(t, key, "serve.ldap");

    /// <summary>The login configured in [serve.ldap], or null without that section.</summary>
    public static LdapLogin? FromConfig(ReshConfig config, ReshRuntime runtime) =>
        config.Section("serve.ldap") is { } t ? new LdapLogin(t, runtime) : null;

    static AuthOutcome WrongLogin() => AuthOutcome.Refused(ReshError.PermissionDenied("The user name or password is wrong.", "Check them; the server verifies them against its LDAP directory."));

    /// <summary>Verifies the credentials of a `Basic` header (base64 of user:password) sent from <paramref name="address"/>.</summary>
    public async Task<AuthOutcome> LoginAsync(string basic, System.Net.IPAddress? address, CancellationToken ct)
    {
        byte[] raw;
        try { raw = basic.Length <= 4 * (MaxUser + MaxPassword) ? Convert.FromBase64String(basic) : throw new FormatException(); }
        catch (FormatException)
        {
            return AuthOutcome.Refused(ReshError.PermissionDenied("The Basic credentials are not base64 of USER:PASSWORD.", "curl -u USER:PASSWORD sends them right."));
        }
        var colon = Array.IndexOf(raw, (byte)':');
        string user;
        try { user = new UTF8Encoding(false, true).GetString(raw, 0, Math.Max(colon, 0)); }
        catch (DecoderFallbackException) { return WrongLogin(); }
        var password = colon < 0 ? Memory<byte>.Empty : raw.AsMemory(colon + 1);
        // Names that are no user's: refused before anything reaches the directory (a NUL or control character, a
        // user name over the bound). `*`, `(`, `)` and `\` are allowed but escaped, so they match only themselves.
        if (colon <= 0 || user.Length > MaxUser || password.Length is 0 or > MaxPassword || user.Any(char.IsControl) || user.Trim().Length != user.Length)
        {
            CryptographicOperations.ZeroMemory(raw);
            return WrongLogin();
        }
        var key = Convert.ToHexString(HMACSHA256.HashData(_salt, raw));
        CryptographicOperations.ZeroMemory(raw.AsSpan(0, colon));
        lock (_lock)
            if (_cache.TryGetValue(key, out var hit) && hit.Until > DateTime.UtcNow) { CryptographicOperations.ZeroMemory(raw); return AuthOutcome.Ok(hit.Id); }
        var name = user.ToLowerInvariant();
        var client = RefusalAudit.ClientKey(address);
        if (Throttle.Begin(name, client) is { } wait)
        {
            CryptographicOperations.ZeroMemory(raw);
            return AuthOutcome.Refused(ReshError.Unavailable("Too many failed logins for this user name or from this client address; this one was not checked.",
                $"Retry after {wait} s (Retry-After) with the right password; the wait doubles with every further failure.", new JsonObject { ["retry_after_s"] = wait }), 429) with { RetryAfter = wait };
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var counted = false;
        try
        {
            // Not cancelled by the client: once the bind is out, the directory has seen the guess, so its answer is
            // counted even when the head timeout or a disconnect ends the request meanwhile (s39 attacker #13: a client
            // that let the head timeout cut every bind got unlimited guesses). The bind is bounded by its own timeout.
            var outcome = await VerifyAsync(user, password, CancellationToken.None).ConfigureAwait(false);
            counted = true;
            if (outcome.Status != 401)
            {
                // A right password (a role or not) resets the pair; the directory unreachable is no failure.
                if (outcome.Identity is not null || outcome.Status == 403) Throttle.Succeeded(name, client);
                else Throttle.NotFailed(name, client);
            }
            if (outcome.Identity is { } id)
                lock (_lock)
                {
                    if (_cache.Count > 10_000) _cache.Clear();
                    _cache[key] = (id, DateTime.UtcNow + CacheFor);
                }
            else if (outcome.Status == 401)
            {
                // A wrong password and an unknown user take about as long (a search miss is faster than a failed bind).
                var floor = TimeSpan.FromMilliseconds(200) - clock.Elapsed;
                if (floor > TimeSpan.Zero) await Task.Delay(floor, ct).ConfigureAwait(false);
            }
            return outcome;
        }
        finally
        {
            if (!counted) Throttle.NotFailed(name, client); // a bug (an exception): not a failed login
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    async Task<AuthOutcome> VerifyAsync(string user, Memory<byte> password, CancellationToken ct)
    {
        if (!await _binds.WaitAsync(_timeout, ct).ConfigureAwait(false))
            return AuthOutcome.Refused(ReshError.Unavailable("Too many logins are being verified at once.", "Retry in a moment."), 503); // the client's, not the unverified name's (s38 attacker #4)
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_timeout);
        try
        {
            await using var client = await LdapClient.ConnectAsync(_url, _startTls, _trust, cts.Token).ConfigureAwait(false);
            string dn;
            if (_userDn is not null) dn = _userDn.Replace("{user}", EscapeDn(user));
            else
            {
                if (_bindDn is not null)
                {
                    var secret = _bindPassword is null ? SecretValue.FromText("") : SecretResolver.Resolve(_bindPassword, "config value `serve.ldap.bind_password`", _runtime, cts.Token);
                    try { await client.BindAsync(_bindDn, secret.RevealBytes().ToArray(), cts.Token).ConfigureAwait(false); }
                    catch (LdapResultException e)
                    {
                        return AuthOutcome.Refused(ReshError.Unavailable($"The LDAP server refused resh's own bind as {_bindDn} ({e.Message}).",
                            "Check [serve.ldap] bind_dn and bind_password."), 503);
                    }
                }
                var found = await client.SearchAsync(_base!, 2, _filter!.Replace("{user}", LdapFilter.Escape(user)), ["1.1"], cts.Token).ConfigureAwait(false);
                if (found.Count != 1) return WrongLogin();
                dn = found[0].Dn;
            }
            try { await client.BindAsync(dn, password, cts.Token).ConfigureAwait(false); }
            catch (LdapResultException e) when (e.Code is LdapResultException.InvalidCredentials or LdapResultException.NoSuchObject or 34 /* invalidDNSyntax */ or 53 /* unwillingToPerform */)
            {
                return WrongLogin();
            }
            // Groups, read as the user just bound (its own rights).
            var groups = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            try
            {
                foreach (var e in await client.SearchAsync(dn, 0, "(objectClass=*)", ["memberOf"], cts.Token).ConfigureAwait(false))
                    if (e.Attributes.TryGetValue("memberOf", out var vals)) foreach (var g in vals) groups.Add(NormalizeDn(g));
            }
            catch (LdapResultException) { }
            if (_groupBase is not null)
            {
                var filter = Substitute(_groupFilter!, LdapFilter.Escape(dn), LdapFilter.Escape(user));
                foreach (var e in await client.SearchAsync(_groupBase, 2, filter, ["1.1"], cts.Token).ConfigureAwait(false)) groups.Add(NormalizeDn(e.Dn));
            }
            foreach (var (group, role) in _groups)
                // The directory matches user names without case (uid, sAMAccountName): so does the identity, or ALICE
                // and alice would be two identities with two rate limits, session quotas and audit names.
                if (groups.Contains(group)) return AuthOutcome.Ok(new ServeIdentity("ldap", user.ToLowerInvariant(), role));
            return AuthOutcome.Refused(ReshError.PermissionDenied($"The LDAP user `{Clip(user)}` is in no group that [serve.ldap.groups] maps to a role.",
                "Ask the operator to add the user to a mapped group."), 403, "ldap:" + Clip(user.ToLowerInvariant()));
        }
        catch (Exception e) when (e is SocketException or IOException or LdapProtocolException or LdapResultException or AuthenticationException
                                       or OperationCanceledException && !ct.IsCancellationRequested)
        {
            _runtime.Log($"serve: ldap login: {e.GetType().Name}: {e.Message}");
            var why = e is OperationCanceledException ? $"did not answer within {_timeout.TotalSeconds:0.#} s"
                : e is AuthenticationException ? "failed the TLS handshake (its certificate is not trusted: see [serve.ldap] ca)"
                : e is SocketException se ? $"cannot be reached ({se.SocketErrorCode})" : $"answered wrongly ({Clip(ExceptionTranslation.OneLine(e.Message))})";
            return AuthOutcome.Refused(ReshError.Unavailable($"The LDAP server {_url.Host} {why}, so the login cannot be verified.", "Retry later, or use an API token."), 503);
        }
        catch (ReshException e) { return AuthOutcome.Refused(e.Error, 503); }
        finally { _binds.Release(); }
    }

    static string Clip(string s) => s.Length > 64 ? s[..64] : s;

    /// <summary>
    /// {dn} and {user} of a filter template replaced in one pass: a `{user}` inside the DN (or the name) is text, not
    /// another placeholder (s38 attacker #12).
    /// </summary>
    public static string Substitute(string template, string dn, string user)
    {
        var sb = new StringBuilder(template.Length + dn.Length + user.Length);
        for (int i = 0; i < template.Length;)
        {
            if (string.CompareOrdinal(template, i, "{dn}", 0, 4) == 0) { sb.Append(dn); i += 4; }
            else if (string.CompareOrdinal(template, i, "{user}", 0, 6) == 0) { sb.Append(user); i += 6; }
            else sb.Append(template[i++]);
        }
        return sb.ToString();
    }

    /// <summary>RFC 4514 §2.4: a value inside a DN with its special characters escaped.</summary>
    public static string EscapeDn(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        for (int i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' or '=' or '*' or '(' or ')'
                || (i == 0 && c is '#' or ' ') || (i == value.Length - 1 && c == ' '))
                sb.Append('\\').Append(((int)c).ToString("x2"));
            else if (c < 0x20) sb.Append('\\').Append(((int)c).ToString("x2"));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>A DN compared loosely: lower case, no spaces around `,` and `=`.</summary>
    public static string NormalizeDn(string dn) =>
        string.Join(',', dn.Split(',').Select(rdn => string.Join('=', rdn.Split('=').Select(p => p.Trim())))).ToLowerInvariant();
}
