using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Resh.Core.Errors;

namespace Resh.Core.Endpoints;

/// <summary>
/// How a client verifies a server's certificate (SPEC §9): the system store by default, a configured
/// <c>ca</c> bundle instead, or nothing with <c>tls=insecure</c> (the caller adds the envelope warning).
/// The last check's outcome is kept so an error can say why a certificate was refused.
/// </summary>
public sealed class TlsTrust
{
    readonly X509Certificate2Collection? _roots;

    TlsTrust(string? caPath, bool insecure, X509Certificate2Collection? roots)
    {
        CaPath = caPath;
        Insecure = insecure;
        _roots = roots;
    }

    public string? CaPath { get; }
    public bool Insecure { get; }
    /// <summary>The policy errors of the last refused certificate (e.g. RemoteCertificateChainErrors: UntrustedRoot).</summary>
    public string? LastFailure { get; private set; }
    /// <summary>The last certificate the server showed (verified or not).</summary>
    public X509Certificate2? LastCertificate { get; private set; }

    public const string InsecureWarning = "TLS certificate verification is off (tls=insecure): anyone on the path can read and change this traffic.";

    /// <summary>Loads the CA bundle (PEM, one or more certificates); a missing or empty file is a usage error.</summary>
    public static TlsTrust Create(string? caPath, bool insecure)
    {
        X509Certificate2Collection? roots = null;
        if (caPath is not null)
        {
            if (!File.Exists(caPath))
                throw ReshError.Usage($"The CA file {caPath} does not exist.", "Give ca= a PEM file with the certificate(s) of the authority that signed the server's certificate.").ToException();
            roots = new X509Certificate2Collection();
            try { roots.ImportFromPemFile(caPath); }
            catch (CryptographicException ex)
            {
                throw ReshError.Usage($"The CA file {caPath} is not a PEM certificate bundle: {ExceptionTranslation.OneLine(ex.Message)}", null).ToException();
            }
            if (roots.Count == 0)
                throw ReshError.Usage($"The CA file {caPath} holds no certificate.", "It must contain -----BEGIN CERTIFICATE----- blocks.").ToException();
        }
        return new TlsTrust(caPath, insecure, roots);
    }

    /// <summary>
    /// The chain policy for an SslStream when ca= is given: the chain is built against those roots only. Without it,
    /// .NET first builds the chain against the system store, and loading that store (every certificate of
    /// /etc/ssl/certs parsed) was most of a handshake's time (issue 13 D24); <see cref="Validate"/> then accepts the
    /// handshake's own verdict. Null for the system store and for tls=insecure.
    /// </summary>
    public X509ChainPolicy? ChainPolicy()
    {
        if (_roots is null || Insecure) return null;
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(_roots);
        policy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1")); // serverAuth, as the system-store path and curl require
        return policy;
    }

    /// <summary>A validation callback for SslStream / SocketsHttpHandler / MailKit.</summary>
    public bool Validate(object? sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        // An own copy: the certificate handed to the callback belongs to the connection and is disposed with it,
        // and a server that closes after its answer (Connection: close, HTTP/1.0, `openssl s_server -www`)
        // would leave the result reading a dead handle.
        if (certificate is not null) LastCertificate = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (Insecure) return true;
        if (_roots is null)
        {
            if (errors == SslPolicyErrors.None) return true;
            LastFailure = Describe(errors, chain);
            return false;
        }
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || certificate is null)
        {
            LastFailure = Describe(errors, chain);
            return false;
        }
        // The handshake already built the chain with ChainPolicy(): its verdict stands.
        if (errors == SslPolicyErrors.None && chain?.ChainPolicy.TrustMode == X509ChainTrustMode.CustomRootTrust) return true;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1")); // serverAuth, as the system-store path and curl require
        if (chain is not null)
            foreach (var element in chain.ChainElements)
                if (!element.Certificate.Equals(certificate)) custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        if (custom.Build(leaf)) return true;
        LastFailure = "untrusted by " + CaPath + ": " + string.Join("; ", custom.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return false;
    }

    static string Describe(SslPolicyErrors errors, X509Chain? chain)
    {
        var parts = new List<string>();
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) parts.Add("the certificate does not name this host");
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) parts.Add("the server sent no certificate");
        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            var status = chain?.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct().ToList() ?? [];
            parts.Add("the chain is not trusted" + (status.Count > 0 ? " (" + string.Join("; ", status) + ")" : ""));
        }
        return string.Join(", ", parts);
    }

    public const string Hint = "Give the authority's certificate with ca=FILE.pem (or `ca` in the connection's config table); tls=insecure skips the check (not recommended).";
}
