using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

public static class CertVerifyVerb
{
    static readonly Arg<string?> Ca = Arg.String("ca", "PEM bundle of trusted CA certificates (default: the system store). Intermediates in it help build the chain but are not roots.", path: PathUse.Read);
    static readonly Arg<string?> Hostname = Arg.String("hostname", "Check the certificate is valid for this DNS name or IP address (default for an endpoint: its host).", aliases: ["host"]);
    static readonly Arg<IReadOnlyList<string>> Crls = Arg.List("crl", "CRL files (PEM or DER) to check revocation against: the leaf must be covered by one signed by its issuer (as `openssl verify -crl_check`).", path: PathUse.Read);
    static readonly Arg<string?> Purpose = Arg.Enum("purpose", "Extended key usage the chain must allow.", ["server", "client", "any"], "server");

    public static readonly VerbInfo Verb = VerbInfo.Define("verify", Effect.Read,
        "Verify a certificate chain (file or endpoint) against the system store or a ca= bundle: trust, validity dates, signatures, purpose and host name; the reasons a chain fails are data.",
        [Ca, Hostname, Purpose, Crls, CertLoad.Password, CertLoad.ServerName, CertLoad.StartTls], () => CertJson.Default.CertVerifyResult, RunAsync,
        examples:
        [
            new("cert:///etc/nginx/fullchain.pem.verify hostname=www.example.org", "A deployed chain, against the system store."),
            new("cert://127.0.0.1:8443.verify ca=/tmp/ca.pem", "A local server, against a private CA."),
        ],
        notes: "The certificates after the first in the file (or sent by the server) are intermediates. Revocation is checked only against the crl= files given (no network fetch): revoked, crl_missing (no CRL from the leaf's issuer), crl_expired, crl_bad_signature. "
            + "hostname= is matched against the SANs only (RFC 6125, as browsers and Go do): unlike openssl verify -verify_hostname, a certificate without SANs is not matched by its CN (a warning says so). "
            + "A chain that does not verify is `conflict` with `reasons` in details: expired, not_yet_valid, untrusted_root, incomplete_chain, bad_signature, wrong_purpose, hostname_mismatch, revoked or another chain status in snake_case. "
            + "Like `openssl verify`, a certificate in ca= is trusted as a root only when it is self-signed.");

    static async ValueTask<Outcome<CertVerifyResult>> RunAsync(VerbContext ctx)
    {
        var target = CertTarget.Parse(ctx);
        using var m = await CertLoad.ReadAsync(ctx, target).ConfigureAwait(false);
        if (m.Certificates.Count == 0)
            return ReshError.Usage($"{target.Display} holds no certificate.", "Name a certificate file or a TLS endpoint.");
        CertMaterial? bundle = null;
        if (ctx.Get(Ca) is { } caArg)
        {
            var caPath = FilePaths.ResolveArg(ctx, caArg, "ca");
            bundle = CertFiles.Load(new CertTarget(caPath, null, 0), null);
            if (bundle.Certificates.Count == 0)
            {
                bundle.Dispose();
                return ReshError.Usage($"The ca= bundle {caPath} holds no certificate.", "Give a PEM file of CA certificates.");
            }
        }
        using var _ = bundle;
        var purpose = ctx.Get(Purpose)!;
        var hostname = ctx.Get(Hostname) ?? (target.IsEndpoint ? target.Host : null);
        var leaf = m.Certificates[0];

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.VerificationTime = DateTime.Now;
        policy.DisableCertificateDownloads = true;
        foreach (var c in m.Certificates.Skip(1)) policy.ExtraStore.Add(c);
        if (bundle is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            foreach (var c in bundle.Certificates)
                if (c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData)) policy.CustomTrustStore.Add(c);
                else policy.ExtraStore.Add(c);
        }
        if (purpose != "any")
            policy.ApplicationPolicy.Add(new Oid(purpose == "server" ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2"));

        bool built;
        try { built = chain.Build(leaf); }
        catch (CryptographicException ex)
        {
            return ReshError.Failed($"The chain of {target.Display} could not be built: {ex.Message}", null);
        }
        var reasons = new List<string>();
        var now = DateTime.Now;
        foreach (var element in chain.ChainElements)
            foreach (var s in element.ChainElementStatus)
                AddReason(reasons, s.Status, element.Certificate, now);
        // The chain's own status repeats its elements'; a time problem there is already named (expired or not_yet_valid) by the element.
        foreach (var s in chain.ChainStatus)
            AddReason(reasons, reasons.Contains("expired") || reasons.Contains("not_yet_valid") ? s.Status & ~X509ChainStatusFlags.NotTimeValid : s.Status, null, now);
        if (!built && reasons.Count == 0) reasons.Add("untrusted");
        if (ctx.Get(Crls) is { Count: > 0 } crlPaths) CheckCrls(ctx, crlPaths, chain, reasons);
        if (hostname is not null && !CertBuild.HostMatches(leaf, hostname))
        {
            reasons.Add("hostname_mismatch");
            if (!leaf.Extensions.Any(e => e.Oid?.Value == "2.5.29.17") && string.Equals(leaf.GetNameInfo(X509NameType.SimpleName, false), hostname, StringComparison.OrdinalIgnoreCase))
                ctx.Warn($"The certificate names {hostname} only in its CN and has no SANs: resh, like browsers and RFC 6125, does not fall back to the CN; "
                    + "openssl verify -verify_hostname does, so it would accept it.");
        }

        var trustedBy = bundle is null ? "system" : FilePaths.ResolveArg(ctx, ctx.Get(Ca)!, "ca");
        var chainBuilt = chain.ChainElements.Select(e => e.Certificate.SubjectName.Name).ToList();
        var result = new CertVerifyResult(target.Display, reasons.Count == 0, reasons, trustedBy, hostname, purpose, chainBuilt);
        if (reasons.Count > 0)
        {
            var details = new JsonObject
            {
                ["target"] = target.Display, ["valid"] = false, ["reasons"] = new JsonArray([.. reasons.Select(r => (JsonNode)r)]),
                ["trusted_by"] = trustedBy, ["hostname"] = hostname, ["purpose"] = purpose,
                ["chain_built"] = new JsonArray([.. chainBuilt.Select(r => (JsonNode)r)]),
            };
            return ReshError.Conflict($"The certificate of {target.Display} does not verify: {string.Join(", ", reasons)}.", Hint(reasons), details);
        }
        return result;
    }

    /// <summary>Each chain certificate whose issuer has a CRL among those given is checked against it; the leaf must be covered.</summary>
    static void CheckCrls(VerbContext ctx, IReadOnlyList<string> paths, X509Chain chain, List<string> reasons)
    {
        var crls = paths.Select(p => FilePaths.ResolveArg(ctx, p, "crl")).Select(p => CertCrl.Parse(CertFiles.ReadBounded(p), p)).ToList();
        var elements = chain.ChainElements;
        for (int i = 0; i < elements.Count; i++)
        {
            var cert = elements[i].Certificate;
            bool selfSigned = cert.SubjectName.RawData.AsSpan().SequenceEqual(cert.IssuerName.RawData);
            if (selfSigned && i > 0) continue; // a root is not checked against CRLs
            var issuer = i + 1 < elements.Count ? elements[i + 1].Certificate : selfSigned ? cert : null;
            if (issuer is null) { if (i == 0) Add(reasons, "crl_missing"); continue; }
            var mine = crls.Where(c => c.Issuer.AsSpan().SequenceEqual(cert.IssuerName.RawData)).ToList();
            if (mine.Count == 0) { if (i == 0) Add(reasons, "crl_missing"); continue; }
            var good = mine.Where(c => CertCrl.IssuedBy(c, issuer)).ToList();
            if (good.Count == 0) { Add(reasons, "crl_bad_signature"); continue; }
            if (good.All(c => c.NextUpdate is { } n && n < DateTimeOffset.UtcNow)) Add(reasons, "crl_expired");
            if (good.Any(c => c.IsRevoked(cert))) Add(reasons, "revoked");
        }
    }

    static void Add(List<string> reasons, string r)
    {
        if (!reasons.Contains(r)) reasons.Add(r);
    }

    static void AddReason(List<string> reasons, X509ChainStatusFlags status, X509Certificate2? cert, DateTime now)
    {
        foreach (X509ChainStatusFlags flag in Enum.GetValues<X509ChainStatusFlags>())
        {
            if (flag == X509ChainStatusFlags.NoError || !status.HasFlag(flag)) continue;
            var reason = flag switch
            {
                X509ChainStatusFlags.NotTimeValid => cert is not null && now < cert.NotBefore ? "not_yet_valid" : "expired",
                X509ChainStatusFlags.UntrustedRoot => "untrusted_root",
                X509ChainStatusFlags.PartialChain => "incomplete_chain",
                X509ChainStatusFlags.NotSignatureValid => "bad_signature",
                X509ChainStatusFlags.NotValidForUsage => "wrong_purpose",
                X509ChainStatusFlags.Revoked => "revoked",
                X509ChainStatusFlags.RevocationStatusUnknown or X509ChainStatusFlags.OfflineRevocation => null,
                _ => Snake(flag.ToString()),
            };
            if (reason is not null && !reasons.Contains(reason)) reasons.Add(reason);
        }
    }

    static string Snake(string name) =>
        string.Concat(name.Select((ch, i) => char.IsUpper(ch) && i > 0 ? "_" + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));

    static string Hint(List<string> reasons) => reasons[0] switch
    {
        "expired" => "Renew the certificate and deploy it.",
        "not_yet_valid" => "Check the clock, or wait for the certificate's start date.",
        "untrusted_root" => "Give the issuing CA with ca=, or install it in the system store.",
        "incomplete_chain" => "Serve (or append to the file) the intermediate certificates, or give them in ca=.",
        "hostname_mismatch" => "Issue a certificate whose SANs include the host name, or check hostname=.",
        "wrong_purpose" => "Issue the certificate with the right extended key usage, or check purpose=.",
        "revoked" => "The certificate is on its issuer's CRL: issue a new one.",
        "crl_missing" or "crl_expired" => "Give the issuer's current CRL with crl= (refresh it with crl.create).",
        _ => "Inspect the chain with cert:// info.",
    };
}
