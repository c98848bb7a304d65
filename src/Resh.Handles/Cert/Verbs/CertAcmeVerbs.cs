using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

/// <summary>acme.issue and acme.renew: a certificate from an ACME CA (RFC 8555) with http-01, written with its key.</summary>
public static class CertAcmeVerbs
{
    const string LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory";
    static readonly Arg<string?> Directory = Arg.String("directory", "The ACME directory URL.", LetsEncrypt, aliases: ["server"]);
    static readonly Arg<IReadOnlyList<string>> Domains = Arg.List("domains", "Names the certificate is for (the first is the subject CN). acme.renew: default the certificate's SANs.");
    static readonly Arg<string?> KeyPath = Arg.String("key", "The certificate's private key (default: the certificate path with .key); created 0600 when missing.");
    static readonly Arg<string?> KeyType = CertBuild.KeyTypeArg();
    static readonly Arg<long?> KeySize = CertBuild.KeySizeArg();
    static readonly Arg<string?> AccountKey = Arg.String("account_key", "The ACME account key (ECDSA P-256, 0600; default: one per directory URL under resh's state directory, created on first use).");
    static readonly Arg<string?> Email = Arg.String("email", "Contact address for the account (expiry notices).");
    static readonly Arg<long?> HttpPort = Arg.Int("http_port", "Port of the built-in http-01 listener (the CA connects to port 80; another port only behind a redirect or for a test CA).", 80, min: 1, max: 65535);
    static readonly Arg<string?> Listen = Arg.String("listen", "Address the built-in listener binds.", "0.0.0.0");
    static readonly Arg<string?> Webroot = Arg.String("webroot", "Serve the challenge through a running web server instead: the files go under DIR/.well-known/acme-challenge/ and are removed after.");
    static readonly Arg<string?> Ca = Arg.String("ca", "PEM bundle trusted for the ACME server's own TLS (default: the system store), e.g. a test CA's.");
    static readonly Arg<long?> Days = Arg.Int("days", "Issue again only when the certificate has fewer than this many days left.", 30, min: 0, max: 3650);
    static readonly Arg<bool> Force = Arg.Bool("force", "Issue now, whatever the days left.");

    static readonly ArgInfo[] Args = [Directory, Domains, KeyPath, KeyType, KeySize, AccountKey, Email, HttpPort, Listen, Webroot, Ca, Days, Force];

    const string Notes = "http-01 only: the built-in listener answers GET /.well-known/acme-challenge/TOKEN on listen:http_port for the length of the call, or webroot= writes the files for a running server. "
        + "The account key is ES256; requests are JWS-signed, nonces refreshed on badNonce. The key is written 0600 before the full chain (leaf then intermediates), both by atomic rename; symbolic links at either path are refused. "
        + "`changed` is false when the certificate already there covers the same names and has at least days= left.";

    public static readonly VerbInfo Issue = VerbInfo.Define("acme.issue", Effect.Mutate,
        "Get a certificate from an ACME CA (Let's Encrypt, or any RFC 8555 server) with http-01: account, order, challenge (built-in listener or webroot), finalize, full chain and key written atomically.",
        Args, () => CertJson.Default.CertAcmeResult, ctx => RunAsync(ctx, renew: false),
        examples:
        [
            new("cert:///etc/ssl/site.pem acme.issue domains=www.example.org,example.org email=ops@example.org", "Let's Encrypt with the built-in listener on port 80."),
            new("cert:///etc/ssl/site.pem acme.issue domains=www.example.org webroot=/var/www/html", "Through a running web server's document root."),
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
            if (!IPAddress.TryParse(d, out _) && Uri.CheckHostName(d) != UriHostNameType.Dns)
                return ReshError.Usage($"`{d}` is not a domain name.", "Give DNS names: domains=www.example.org.");
        var days = ctx.Get(Days)!.Value;
        if (existing is { } have && !ctx.Get(Force) && have.DaysLeft >= days && have.Domains.Order().SequenceEqual(domains.Order()))
            return new CertAcmeResult(certPath, keyPath, directory, have.Domains, false, have.Serial, have.NotAfter, have.DaysLeft, have.Issuer, have.Fingerprint, null);

        CertWrites.CheckDestination(certPath, "certificate");
        var webroot = ctx.Get(Webroot) is { } w ? FilePaths.ResolveArg(ctx, w, "webroot") : null;
        if (webroot is not null && Posix.Stat(webroot, follow: true, out _) is not { IsDirectory: true })
            return ReshError.NotFound($"The webroot {webroot} is not a directory.", "Name the document root the web server serves for these names.");
        IPAddress? listen = null;
        if (webroot is null && !IPAddress.TryParse(ctx.Get(Listen)!, out listen))
            return ReshError.Usage($"listen={ctx.Get(Listen)} is not an IP address.", "For example listen=0.0.0.0 or listen=::.");
        X509Certificate2Collection? trust = null;
        if (ctx.Get(Ca) is { } caArg)
        {
            var caPath = FilePaths.ResolveArg(ctx, caArg, "ca");
            using var m = CertFiles.Load(new CertTarget(caPath, null, 0), null);
            if (m.Certificates.Count == 0) return ReshError.Usage($"The ca= bundle {caPath} holds no certificate.", "Give a PEM file of CA certificates.");
            trust = [.. m.Certificates.Select(c => X509CertificateLoader.LoadCertificate(c.RawData))];
        }
        if (ctx.DryRun)
            return new Outcome<CertAcmeResult>(new CertAcmeResult(certPath, keyPath, directory, domains, true, null, null, null, null, null, webroot is null ? "http-01 listener" : "http-01 webroot"), true);

        var accountPath = ctx.Get(AccountKey) is { } ak ? FilePaths.ResolveArg(ctx, ak, "account_key")
            : Path.Combine(ctx.Runtime.Paths.StateSubdir("cert"), "acme-account-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(directory)))[..16].ToLowerInvariant() + ".key");
        using var account = AccountKeyOf(ctx, accountPath);
        var (key, keyCreated) = CertBuild.KeyOrNew(ctx, keyPath, ctx.Get(KeyType)!, ctx.Get(KeySize), null);
        using var keyScope = key;

        var timeout = ctx.TimeRemaining ?? TimeSpan.FromMinutes(3);
        using var acme = new CertAcme(directory, account.Ecdsa!, trust, timeout, ctx.Cancellation);
        await acme.OpenAsync(ctx.Get(Email)).ConfigureAwait(false);
        var (order, orderUrl) = await acme.NewOrderAsync(domains).ConfigureAwait(false);
        var pending = await acme.PendingAsync(order).ConfigureAwait(false);
        var written = new List<string>();
        AcmeHttpResponder? responder = null;
        try
        {
            if (pending.Count > 0)
            {
                if (webroot is null)
                    responder = new AcmeHttpResponder(listen!, (int)ctx.Get(HttpPort)!.Value, pending.ToDictionary(p => p.Token, p => p.KeyAuth));
                else
                {
                    var dir = ChallengeDir(webroot);
                    foreach (var p in pending)
                    {
                        var file = Path.Combine(dir, p.Token);
                        CertWrites.CheckDestination(file, "challenge");
                        CertWrites.Write(file, Encoding.ASCII.GetBytes(p.KeyAuth), CertWrites.Public);
                        written.Add(file);
                    }
                }
                foreach (var p in pending) await acme.RespondAsync(p.ChallengeUrl).ConfigureAwait(false);
                foreach (var p in pending) await acme.WaitValidAsync(p.AuthzUrl, p.Domain).ConfigureAwait(false);
            }
            var request = key.Request(CertBuild.Subject("CN=" + domains[0]));
            request.CertificateExtensions.Add(CertBuild.Sans(domains)!);
            var chainPem = await acme.FinalizeAsync(order, orderUrl, request.CreateSigningRequest(key.Signer())).ConfigureAwait(false);
            var issued = ParseChain(chainPem);
            using var leaf = issued[0];
            foreach (var c in issued.Skip(1)) c.Dispose();
            if (!key.Matches(leaf.PublicKey))
                return ReshError.Failed("The ACME server returned a certificate for another key.", null);
            CertWrites.Write(certPath, Encoding.ASCII.GetBytes(chainPem.Replace("\r\n", "\n", StringComparison.Ordinal)), CertWrites.Public);
            var info = CertDescribe.Certificate(leaf, DateTimeOffset.UtcNow);
            return new Outcome<CertAcmeResult>(new CertAcmeResult(certPath, keyPath, directory, info.Sans.Select(s => s[(s.IndexOf(':') + 1)..]).ToList(), true,
                info.Serial, info.NotAfter, info.DaysLeft, info.Issuer, info.FingerprintSha256, webroot is null ? "http-01 listener" : "http-01 webroot"), true);
        }
        finally
        {
            responder?.Dispose();
            foreach (var f in written) { try { File.Delete(f); } catch (IOException) { } }
            _ = keyCreated;
        }
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
