using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Secrets;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

/// <summary>acme.issue and acme.renew: a certificate from an ACME CA (RFC 8555) with http-01, written with its key.</summary>
public static class CertAcmeVerbs
{
    const string LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory";
    static readonly Arg<string?> Directory = Arg.String("directory", "The ACME directory URL.", LetsEncrypt, aliases: ["server"]);
    static readonly Arg<IReadOnlyList<string>> Domains = Arg.List("domains", "Names the certificate is for (the first is the subject CN). acme.renew: default the certificate's SANs.");
    static readonly Arg<string?> KeyPath = Arg.String("key", "The certificate's private key (default: the certificate path with .key); created 0600 when missing.", path: PathUse.Write);
    static readonly Arg<string?> KeyType = CertBuild.KeyTypeArg();
    static readonly Arg<long?> KeySize = CertBuild.KeySizeArg();
    static readonly Arg<string?> AccountKey = Arg.String("account_key", "The ACME account key (ECDSA P-256, 0600; default: one per directory URL under resh's state directory, created on first use).", path: PathUse.Write);
    static readonly Arg<string?> Email = Arg.String("email", "Contact address for the account (expiry notices).");
    static readonly Arg<long?> HttpPort = Arg.Int("http_port", "Port of the built-in http-01 listener (the CA connects to port 80; another port only behind a redirect or for a test CA).", 80, min: 1, max: 65535);
    static readonly Arg<string?> Listen = Arg.String("listen", "Address the built-in listener binds.", "0.0.0.0");
    static readonly Arg<string?> Webroot = Arg.String("webroot", "Serve the challenge through a running web server instead: the files go under DIR/.well-known/acme-challenge/ and are removed after.", path: PathUse.Write);
    static readonly Arg<string?> Ca = Arg.String("ca", "PEM bundle trusted for the ACME server's own TLS (default: the system store), e.g. a test CA's.", path: PathUse.Read);
    static readonly Arg<long?> Days = Arg.Int("days", "Issue again only when the certificate has fewer than this many days left.", 30, min: 0, max: 3650);
    static readonly Arg<bool> Force = Arg.Bool("force", "Issue now, whatever the days left.");
    static readonly Arg<string?> Challenge = Arg.Enum("challenge",
        "How the names are proven: http-01 (listener or webroot) or dns-01 (TXT records by dynamic update through dns://). Default: dns-01 when a dns_ argument is given, else http-01; wildcard names need dns-01.",
        ["http-01", "dns-01"]);
    static readonly Arg<string?> DnsServer = Arg.String("dns_server",
        "dns-01: the zone's primary that takes the update and answers the TXT record: IP, IP:PORT or [IPv6]:PORT (default: the SOA's primary, found through the system resolver).",
        examples: ["127.0.0.1:5353"]);
    static readonly Arg<string?> DnsKeyFile = Arg.String("dns_key_file", "dns-01: BIND key file (tsig-keygen output) with the TSIG key the server allows updates with; read in-process, never passed on.", path: PathUse.Read);
    static readonly Arg<string?> DnsKeyName = Arg.String("dns_key_name", "dns-01: name of the TSIG key, with dns_key= (instead of dns_key_file=).");
    static readonly Arg<SecretRef?> DnsKey = Arg.Secret("dns_key", "dns-01: the TSIG key's secret, base64, with dns_key_name=.");
    static readonly Arg<string?> DnsAlgorithm = Arg.Enum("dns_algorithm", "dns-01: TSIG algorithm of dns_key= (default hmac-sha256).",
        ["hmac-sha256", "hmac-sha512", "hmac-sha384", "hmac-sha224", "hmac-sha1", "hmac-md5"]);
    static readonly Arg<string?> DnsZone = Arg.String("dns_zone", "dns-01: the zone to update (default: the zone the server says holds _acme-challenge.NAME).");
    static readonly Arg<TimeSpan?> DnsWait = Arg.Duration("dns_wait", "dns-01: how long to wait for the server to answer the published TXT record before telling the CA.", TimeSpan.FromMinutes(2));

    static readonly ArgInfo[] Args = [Directory, Domains, KeyPath, KeyType, KeySize, AccountKey, Email, Challenge, HttpPort, Listen, Webroot,
        DnsServer, DnsKeyFile, DnsKeyName, DnsKey, DnsAlgorithm, DnsZone, DnsWait, Ca, Days, Force];
    static readonly ArgInfo[] DnsOnly = [DnsServer, DnsKeyFile, DnsKeyName, DnsKey, DnsAlgorithm, DnsZone, DnsWait];

    const string Notes = "http-01: the built-in listener answers GET /.well-known/acme-challenge/TOKEN on listen:http_port for the length of the call, or webroot= writes the files for a running server. "
        + "dns-01: the _acme-challenge.NAME TXT values are added through dns://NAME.record.add (RFC 2136, signed with the TSIG key of dns_key_file= or dns_key_name= + dns_key=), "
        + "read back from that server (TCP, no recursion) until it answers them, then the CA is told; they are deleted with dns://NAME.record.delete afterwards, also when the call fails. "
        + "When the call fails after the order was placed, its pending authorizations are deactivated, so no order is left half-done; a key this call created is removed again. "
        + "The account key is ES256; requests are JWS-signed, nonces refreshed on badNonce. The key is written 0600 before the full chain (leaf then intermediates), both by atomic rename; symbolic links at either path are refused. "
        + "`changed` is false when the certificate already there covers the same names and has at least days= left.";

    public static readonly VerbInfo Issue = VerbInfo.Define("acme.issue", Effect.Mutate,
        "Get a certificate from an ACME CA (Let's Encrypt, or any RFC 8555 server): account, order, http-01 (built-in listener or webroot) or dns-01 (dynamic update through dns://), finalize, full chain and key written atomically.",
        Args, () => CertJson.Default.CertAcmeResult, ctx => RunAsync(ctx, renew: false),
        examples:
        [
            new("cert:///etc/ssl/site.pem acme.issue domains=www.example.org,example.org email=ops@example.org", "Let's Encrypt with the built-in listener on port 80."),
            new("cert:///etc/ssl/site.pem acme.issue domains=www.example.org webroot=/var/www/html", "Through a running web server's document root."),
            new("cert:///etc/ssl/wild.pem acme.issue 'domains=example.org,*.example.org' dns_server=192.0.2.53 dns_key_file=/etc/bind/acme.key", "A wildcard with dns-01: TXT records by signed dynamic update."),
        ],
        notes: Notes);

    public static readonly VerbInfo Renew = VerbInfo.Define("acme.renew", Effect.Mutate,
        "Renew an ACME certificate when it is due (fewer than days= left): the same names and key, a new certificate from the same CA.",
        Args, () => CertJson.Default.CertAcmeResult, ctx => RunAsync(ctx, renew: true),
        examples:
        [
            new("cert:///etc/ssl/site.pem acme.renew", "From a daily timer: does nothing until 30 days are left."),
            new("cert:///etc/ssl/site.pem acme.renew webroot=/var/www/html force=true", "Now."),
        ],
        notes: Notes + " The key is reused.");

    static async ValueTask<Outcome<CertAcmeResult>> RunAsync(VerbContext ctx, bool renew)
    {
        var certPath = FilePaths.Resolve(ctx);
        var keyPath = ctx.Get(KeyPath) is { } k ? FilePaths.ResolveArg(ctx, k, "key") : Path.ChangeExtension(certPath, ".key");
        if (keyPath == certPath) return ReshError.Usage("The key and the certificate would be the same file.", "Give key=PATH, or name the certificate with an extension (site.pem).");
        var directory = ctx.Get(Directory)!;
        if (!Uri.TryCreate(directory, UriKind.Absolute, out var dirUri) || dirUri.Scheme != "https")
            return ReshError.Usage($"directory={directory} is not an https URL.", "For example directory=https://acme-v02.api.letsencrypt.org/directory.");
        var now = DateTimeOffset.UtcNow;
        var existing = Existing(certPath, now);
        if (renew && existing is null)
            return ReshError.NotFound($"There is no certificate at {certPath} to renew.", "Issue one first with acme.issue.");
        var domains = ctx.Get(Domains).Select(d => d.Trim().ToLowerInvariant()).Distinct().ToList();
        if (domains.Count == 0 && renew) domains = existing!.Value.Domains;
        if (domains.Count == 0) return ReshError.Usage("Name the domains the certificate is for.", "Give domains=www.example.org,example.org.");
        if (domains.Count > 100) return ReshError.Usage("At most 100 domains.", null);
        foreach (var d in domains)
        {
            var host = d.StartsWith("*.", StringComparison.Ordinal) ? d[2..] : d;
            if (!IPAddress.TryParse(d, out _) && (Uri.CheckHostName(host) != UriHostNameType.Dns || host.Contains('*')))
                return ReshError.Usage($"`{d}` is not a domain name.", "Give DNS names: domains=www.example.org (a wildcard only as the first label: *.example.org).");
        }
        var dnsGiven = DnsOnly.Where(ctx.IsSet).Select(a => a.Name).ToList();
        var challenge = ctx.Get(Challenge) ?? (dnsGiven.Count > 0 ? "dns-01" : "http-01");
        var dns01 = challenge == "dns-01";
        if (!dns01 && domains.FirstOrDefault(d => d.StartsWith("*.", StringComparison.Ordinal)) is { } wild)
            return ReshError.Usage($"The wildcard name {wild} can only be proven with dns-01.", "Give challenge=dns-01 with dns_server= and dns_key_file= (the TSIG key the zone allows updates with).");
        if (!dns01 && dnsGiven.Count > 0)
            return ReshError.Usage($"{string.Join(", ", dnsGiven.Select(n => n + "="))} only apply to challenge=dns-01.", "Drop challenge=http-01, or the dns_ arguments.");
        if (dns01 && (ctx.IsSet(Webroot) || ctx.IsSet(HttpPort) || ctx.IsSet(Listen)))
            return ReshError.Usage("webroot=, http_port= and listen= only apply to challenge=http-01.", "Drop them for dns-01.");
        if (dns01 && domains.FirstOrDefault(d => IPAddress.TryParse(d, out _)) is { } ip)
            return ReshError.Usage($"{ip} is an IP address: dns-01 proves DNS names only.", "Use challenge=http-01 for IP addresses.");
        if (dns01 && ctx.IsSet(DnsKeyFile) && (ctx.IsSet(DnsKeyName) || ctx.IsSet(DnsKey)))
            return ReshError.Usage("dns_key_file= names the TSIG key; dns_key_name= and dns_key= cannot be given with it.", "Give dns_key_file= alone, or dns_key_name= with dns_key=.");
        if (dns01 && ctx.IsSet(DnsKeyName) != ctx.IsSet(DnsKey))
            return ReshError.Usage("A TSIG key needs both dns_key_name= and dns_key=.", "Give dns_key_name=NAME dns_key=env:VAR (or secret:NAME, file:PATH), or dns_key_file=PATH.");
        var days = ctx.Get(Days)!.Value;
        if (existing is { } have && !ctx.Get(Force) && have.DaysLeft >= days && have.Domains.Order().SequenceEqual(domains.Order()))
            return new CertAcmeResult(certPath, keyPath, directory, have.Domains, false, have.Serial, have.NotAfter, have.DaysLeft, have.Issuer, have.Fingerprint, null);

        CertWrites.CheckDestination(certPath, "certificate");
        var dnsKeyFile = ctx.Get(DnsKeyFile) is { } kf ? FilePaths.ResolveArg(ctx, kf, "dns_key_file") : null;
        if (dnsKeyFile is not null && Posix.Stat(dnsKeyFile, follow: true, out _) is not { IsDirectory: false })
            return ReshError.NotFound($"The TSIG key file {dnsKeyFile} does not exist.", "Give the file tsig-keygen wrote (dns_key_file=PATH).");
        var webroot = ctx.Get(Webroot) is { } w ? FilePaths.ResolveArg(ctx, w, "webroot") : null;
        if (webroot is not null && Posix.Stat(webroot, follow: true, out _) is not { IsDirectory: true })
            return ReshError.NotFound($"The webroot {webroot} is not a directory.", "Name the document root the web server serves for these names.");
        IPAddress? listen = null;
        if (!dns01 && webroot is null && !IPAddress.TryParse(ctx.Get(Listen)!, out listen))
            return ReshError.Usage($"listen={ctx.Get(Listen)} is not an IP address.", "For example listen=0.0.0.0 or listen=::.");
        X509Certificate2Collection? trust = null;
        if (ctx.Get(Ca) is { } caArg)
        {
            var caPath = FilePaths.ResolveArg(ctx, caArg, "ca");
            using var m = CertFiles.Load(new CertTarget(caPath, null, 0), null);
            if (m.Certificates.Count == 0) return ReshError.Usage($"The ca= bundle {caPath} holds no certificate.", "Give a PEM file of CA certificates.");
            trust = [.. m.Certificates.Select(c => X509CertificateLoader.LoadCertificate(c.RawData))];
        }
        var dns = dns01
            ? new CertAcmeDns(ctx, ctx.Get(DnsServer), dnsKeyFile, ctx.Get(DnsKeyName), ctx.GetSecret(DnsKey), ctx.Get(DnsAlgorithm), ctx.Get(DnsZone), ctx.Get(DnsWait)!.Value)
            : null;
        var method = dns?.Method ?? (webroot is null ? "http-01 listener" : "http-01 webroot");
        if (ctx.DryRun)
            return new Outcome<CertAcmeResult>(new CertAcmeResult(certPath, keyPath, directory, domains, true, null, null, null, null, null, method), true);

        var accountPath = ctx.Get(AccountKey) is { } ak ? FilePaths.ResolveArg(ctx, ak, "account_key")
            : Path.Combine(ctx.Runtime.Paths.StateSubdir("cert"), "acme-account-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(directory)))[..16].ToLowerInvariant() + ".key");
        using var account = AccountKeyOf(ctx, accountPath);
        var (key, keyCreated) = CertBuild.KeyOrNew(ctx, keyPath, ctx.Get(KeyType)!, ctx.Get(KeySize), null);
        using var keyScope = key;
        // A key made for this certificate is useless without it: removed unless the certificate is written, also when
        // resh is stopped before this call's own cleanup runs (a second Ctrl-C).
        using var newKey = keyCreated ? Cleanup.Track(keyPath) : null;
        // Records at a DNS server are undone over the network: a cancelled call waits for that (bounded) before it exits.
        using var undo = dns is not null ? Cleanup.Hold() : null;

        var timeout = ctx.TimeRemaining ?? TimeSpan.FromMinutes(3);
        using var acme = new CertAcme(directory, account.Ecdsa!, trust, timeout, ctx.Cancellation);
        var written = new List<TempPath>();
        AcmeHttpResponder? responder = null;
        List<AcmeChallenge> pending = [];
        var finalized = false;
        JsonObject? order = null;
        string? orderUrl = null;
        try
        {
            await acme.OpenAsync(ctx.Get(Email)).ConfigureAwait(false);
            (order, orderUrl) = await acme.NewOrderAsync(domains).ConfigureAwait(false);
            pending = await acme.PendingAsync(order, challenge, domains).ConfigureAwait(false);
            if (pending.Count > 0)
            {
                if (dns is not null)
                {
                    await dns.PublishAsync(pending).ConfigureAwait(false);
                    await dns.WaitVisibleAsync().ConfigureAwait(false);
                }
                else if (webroot is null)
                    responder = new AcmeHttpResponder(listen!, (int)ctx.Get(HttpPort)!.Value, pending.ToDictionary(p => p.Token, p => p.KeyAuth));
                else
                {
                    var dir = ChallengeDir(webroot);
                    foreach (var p in pending)
                    {
                        var file = Path.Combine(dir, p.Token);
                        CertWrites.CheckDestination(file, "challenge");
                        written.Add(Cleanup.Track(file));
                        CertWrites.Write(file, Encoding.ASCII.GetBytes(p.KeyAuth), CertWrites.Public);
                    }
                }
                foreach (var p in pending) await acme.RespondAsync(p.ChallengeUrl).ConfigureAwait(false);
                var hint = dns is null ? null : "Check that the CA resolves _acme-challenge.NAME through servers that have the update (secondaries, other views).";
                foreach (var p in pending) await acme.WaitValidAsync(p.AuthzUrl, (p.Wildcard ? "*." : "") + p.Domain, hint).ConfigureAwait(false);
            }
            var request = key.Request(CertBuild.Subject("CN=" + domains[0]));
            request.CertificateExtensions.Add(CertBuild.Sans(domains)!);
            finalized = true;
            var chainPem = await acme.FinalizeAsync(order, orderUrl, request.CreateSigningRequest(key.Signer())).ConfigureAwait(false);
            var issued = ParseChain(chainPem);
            using var leaf = issued[0];
            foreach (var c in issued.Skip(1)) c.Dispose();
            if (!key.Matches(leaf.PublicKey))
                return ReshError.Failed("The ACME server returned a certificate for another key.", null);
            CertWrites.Write(certPath, Encoding.ASCII.GetBytes(chainPem.Replace("\r\n", "\n", StringComparison.Ordinal)), CertWrites.Public);
            newKey?.Forget();
            var info = CertDescribe.Certificate(leaf, DateTimeOffset.UtcNow);
            return new Outcome<CertAcmeResult>(new CertAcmeResult(certPath, keyPath, directory, info.Sans.Select(s => s[(s.IndexOf(':') + 1)..]).ToList(), true,
                info.Serial, info.NotAfter, info.DaysLeft, info.Issuer, info.FingerprintSha256, method), true);
        }
        catch (Exception ex) when (order is not null && !finalized && ex is ReshException or OperationCanceledException)
        {
            // The order cannot be completed: give up its authorizations so it does not stay pending at the CA.
            var deactivated = await DeactivateAsync(acme, pending.Count > 0 ? pending.Select(p => p.AuthzUrl) : order!["authorizations"]?.AsArray().Select(a => a!.GetValue<string>()) ?? []).ConfigureAwait(false);
            if (ex is ReshException rex)
            {
                var details = rex.Error.Details?.DeepClone().AsObject() ?? new System.Text.Json.Nodes.JsonObject();
                details["order"] = orderUrl;
                details["authorizations_deactivated"] = deactivated;
                throw (rex.Error with { Details = details }).ToException();
            }
            throw;
        }
        finally
        {
            responder?.Dispose();
            foreach (var f in written) f.Dispose();
            if (dns is not null) await dns.RemoveAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Deactivates the authorizations that are not valid yet (best effort, bounded); how many the CA reports deactivated.</summary>
    static async Task<int> DeactivateAsync(CertAcme acme, IEnumerable<string> authzUrls)
    {
        var n = 0;
        foreach (var url in authzUrls)
        {
            try { if (await acme.DeactivateAsync(url).ConfigureAwait(false) == "deactivated") n++; }
            catch (Exception ex) when (ex is ReshException or OperationCanceledException) { }
        }
        return n;
    }

    /// <summary>WEBROOT/.well-known/acme-challenge, made 0755 where missing; a symbolic link at either level is refused (whoever owns the webroot could point it at /etc).</summary>
    static string ChallengeDir(string webroot)
    {
        var dir = webroot;
        foreach (var part in new[] { ".well-known", "acme-challenge" })
        {
            dir = Path.Combine(dir, part);
            switch (Posix.Stat(dir, follow: false, out _))
            {
                case null: System.IO.Directory.CreateDirectory(dir, (UnixFileMode)0x1ed); break;
                case { IsDirectory: true }: break;
                default:
                    throw ReshError.Conflict($"{dir} is a symbolic link or not a directory; resh does not write challenges through links.",
                        "Make it a plain directory in the webroot.").ToException();
            }
        }
        return dir;
    }

    static List<X509Certificate2> ParseChain(string pem)
    {
        var list = new List<X509Certificate2>();
        var rest = pem.AsSpan();
        try
        {
            while (PemEncoding.TryFind(rest, out var f) && list.Count < 10)
            {
                if (rest[f.Label].SequenceEqual("CERTIFICATE")) list.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(rest[f.Base64Data].ToString())));
                rest = rest[f.Location.End.Value..];
            }
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException) { }
        if (list.Count == 0) throw ReshError.Failed("The ACME server returned no certificate that parses.", null).ToException();
        return list;
    }

    static CertKey AccountKeyOf(VerbContext ctx, string path)
    {
        if (Posix.Stat(path, follow: false, out _) is not null)
        {
            var key = CertKey.Load(CertFiles.ReadBounded(path), null, path);
            if (key.Ecdsa is not { KeySize: 256 })
            {
                key.Dispose();
                throw ReshError.Usage($"The account key {path} is not an ECDSA P-256 key.", "Point account_key= at a P-256 key, or remove it to register a new account.").ToException();
            }
            return key;
        }
        CertWrites.CheckDestination(path, "account key");
        var created = CertKey.Generate("ecdsa", 256);
        CertBuild.WriteKey(path, created, null);
        _ = ctx;
        return created;
    }

    static (List<string> Domains, long DaysLeft, string Serial, string NotAfter, string Issuer, string Fingerprint)? Existing(string path, DateTimeOffset now)
    {
        if (Posix.Stat(path, follow: false, out _) is null) return null;
        try
        {
            using var m = CertFiles.Load(new CertTarget(path, null, 0), null);
            if (m.Certificates.Count == 0) return null;
            var info = CertDescribe.Certificate(m.Certificates[0], now);
            return (info.Sans.Select(s => s[(s.IndexOf(':') + 1)..]).ToList(), info.DaysLeft, info.Serial, info.NotAfter, info.Issuer, info.FingerprintSha256);
        }
        catch (ReshException) { return null; }
    }
}
