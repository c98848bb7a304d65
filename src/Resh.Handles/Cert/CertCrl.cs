using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Cert;

/// <summary>
/// Certificate revocation lists: written with the platform's CertificateRevocationListBuilder (signed by the CA's
/// key, any type), read and checked with BouncyCastle's parser (signature, dates, entries).
/// </summary>
internal static class CertCrl
{
    /// <summary>The CRL file of a CA: the builder holding its entries and its number, or an empty one.</summary>
    public static (CertificateRevocationListBuilder Builder, BigInteger Number) Open(string crlPath, CertAuthority ca)
    {
        if (Posix.Stat(crlPath, follow: false, out _) is null) return (new CertificateRevocationListBuilder(), BigInteger.Zero);
        var bytes = CertFiles.ReadBounded(crlPath);
        var crl = Parse(bytes, crlPath);
        if (!IssuedBy(crl, ca.Certificate))
            throw ReshError.Conflict($"The CRL {crlPath} is not signed by the CA {ca.CertPath} (another CA's, or altered).",
                "Name this CA's CRL with crl=, or move the other file away.").ToException();
        var der = crl.GetEncoded();
        return (CertificateRevocationListBuilder.Load(der, out var number), number);
    }

    public static X509Crl Parse(byte[] bytes, string path)
    {
        try
        {
            var crl = new X509CrlParser().ReadCrl(bytes);
            if (crl is null) throw new CryptographicException("no CRL");
            return crl;
        }
        catch (Exception ex) when (ex is not ReshException)
        {
            throw ReshError.Usage($"{path} holds no certificate revocation list that parses.", "Name a PEM or DER CRL (revoke or crl.create make one).").ToException();
        }
    }

    /// <summary>The CRL names this certificate as issuer and its signature verifies with its key.</summary>
    public static bool IssuedBy(X509Crl crl, X509Certificate2 issuer)
    {
        if (!crl.IssuerDN.GetEncoded().AsSpan().SequenceEqual(issuer.SubjectName.RawData)) return false;
        try
        {
            crl.Verify(PublicKeyFactory.CreateKey(issuer.PublicKey.ExportSubjectPublicKeyInfo()));
            return true;
        }
        catch (Exception) { return false; }
    }

    public static Org.BouncyCastle.Math.BigInteger Serial(X509Certificate2 cert) => new(cert.SerialNumber, 16);

    public static byte[] Build(CertificateRevocationListBuilder builder, CertAuthority ca, BigInteger number, DateTimeOffset nextUpdate, DateTimeOffset now)
    {
        var ski = ca.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault();
        var aki = ski is not null
            ? X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski)
            : X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Certificate, includeKeyIdentifier: false, includeIssuerAndSerial: true);
        var der = builder.Build(ca.Certificate.SubjectName, ca.Key.Signer(), number, nextUpdate, ca.Key.Hash, aki, now);
        return Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", der) + "\n");
    }

    public static int Count(byte[] pem) => new X509CrlParser().ReadCrl(pem).GetRevokedCertificates()?.Count ?? 0;
}
