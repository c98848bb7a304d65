using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Cert;

/// <summary>
/// Certificate revocation lists: written with the platform's CertificateRevocationListBuilder (signed by the CA's
/// key, any type), read with System.Formats.Asn1 (RFC 5280 §5.1) and checked with the platform's RSA/ECDSA
/// verifiers (BouncyCastle's Ed25519 and PSS verifiers where the platform has none or a fixed salt length).
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
        try { return (CertificateRevocationListBuilder.Load(crl.Der, out var number), number); }
        catch (CryptographicException)
        {
            throw ReshError.Usage($"{crlPath} holds a certificate revocation list resh cannot extend.", "Make a new one with crl=OTHER, or move the file away.").ToException();
        }
    }

    /// <summary>A CRL from PEM ("X509 CRL") or DER bytes; anything else is a usage error naming <paramref name="path"/>.</summary>
    public static Crl Parse(byte[] bytes, string path)
    {
        try { return Crl.Decode(Der(bytes)); }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException or FormatException or ArgumentException or OverflowException)
        {
            throw ReshError.Usage($"{path} holds no certificate revocation list that parses.", "Name a PEM or DER CRL (revoke or crl.create make one).").ToException();
        }
    }

    static byte[] Der(byte[] bytes)
    {
        if (bytes.AsSpan().IndexOf("-----BEGIN "u8) < 0) return bytes;
        var text = Encoding.ASCII.GetString(bytes).AsSpan();
        while (PemEncoding.TryFind(text, out var f))
        {
            if (text[f.Label].SequenceEqual("X509 CRL")) return Convert.FromBase64String(text[f.Base64Data].ToString());
            text = text[f.Location.End.Value..];
        }
        throw new CryptographicException("no CRL");
    }

    /// <summary>The CRL names this certificate as issuer and its signature verifies with its key.</summary>
    public static bool IssuedBy(Crl crl, X509Certificate2 issuer) =>
        crl.Issuer.AsSpan().SequenceEqual(issuer.SubjectName.RawData) && crl.SignatureVerifies(issuer);

    public static byte[] Build(CertificateRevocationListBuilder builder, CertAuthority ca, BigInteger number, DateTimeOffset nextUpdate, DateTimeOffset now)
    {
        var ski = ca.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault();
        var aki = ski is not null
            ? X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski)
            : X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Certificate, includeKeyIdentifier: false, includeIssuerAndSerial: true);
        var der = builder.Build(ca.Certificate.SubjectName, ca.Key.Signer(), number, nextUpdate, ca.Key.Hash, aki, now);
        return Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", der) + "\n");
    }

    public static int Count(byte[] pem) => Crl.Decode(Der(pem)).Revoked.Count;

    /// <summary>The parts of a decoded CRL resh checks: issuer Name (DER), next update, revoked serials, signature.</summary>
    internal sealed class Crl
    {
        public required byte[] Der { get; init; }
        public required byte[] Issuer { get; init; }
        public DateTimeOffset? NextUpdate { get; init; }
        public required HashSet<BigInteger> Revoked { get; init; }
        byte[] _tbs = [];
        string _algorithm = "";
        byte[]? _pssParameters;
        byte[] _signature = [];

        public static Crl Decode(byte[] der)
        {
            var outer = new AsnReader(der, AsnEncodingRules.DER);
            var list = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            var tbsBytes = list.ReadEncodedValue().ToArray();
            var (algorithm, pss) = ReadAlgorithm(list);
            var signature = list.ReadBitString(out var unused);
            list.ThrowIfNotEmpty();
            if (unused != 0) throw new CryptographicException("signature is not whole bytes");

            var tbs = new AsnReader(tbsBytes, AsnEncodingRules.DER).ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer)) tbs.ReadInteger();
            ReadAlgorithm(tbs);
            var issuer = tbs.ReadEncodedValue().ToArray();
            ReadTime(tbs);
            DateTimeOffset? next = null;
            if (tbs.HasData && IsTime(tbs.PeekTag())) next = ReadTime(tbs);
            var revoked = new HashSet<BigInteger>();
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var entries = tbs.ReadSequence();
                while (entries.HasData)
                {
                    var entry = entries.ReadSequence();
                    revoked.Add(new BigInteger(entry.ReadIntegerBytes().Span, isUnsigned: false, isBigEndian: true));
                    ReadTime(entry);
                    if (entry.HasData) entry.ReadSequence(); // entry extensions
                    entry.ThrowIfNotEmpty();
                }
            }
            if (tbs.HasData) tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
            tbs.ThrowIfNotEmpty();
            return new Crl
            {
                Der = der, Issuer = issuer, NextUpdate = next, Revoked = revoked,
                _tbs = tbsBytes, _algorithm = algorithm, _pssParameters = pss, _signature = signature,
            };
        }

        public bool IsRevoked(X509Certificate2 cert) =>
            Revoked.Contains(new BigInteger(cert.SerialNumberBytes.Span, isUnsigned: false, isBigEndian: true));

        public bool SignatureVerifies(X509Certificate2 issuer)
        {
            try
            {
                switch (_algorithm)
                {
                    case CertKey.Ed25519Oid:
                        return CertKey.VerifyEd25519(issuer.PublicKey.ExportSubjectPublicKeyInfo(), _tbs, _signature);
                    case "1.2.840.113549.1.1.10":
                        return PssVerifies(issuer, _tbs, _signature, _pssParameters);
                }
                if (RsaHash(_algorithm) is { } rh)
                {
                    using var rsa = issuer.GetRSAPublicKey();
                    return rsa is not null && rsa.VerifyData(_tbs, _signature, rh, RSASignaturePadding.Pkcs1);
                }
                if (EcHash(_algorithm) is { } eh)
                {
                    using var ec = issuer.GetECDsaPublicKey();
                    return ec is not null && ec.VerifyData(_tbs, _signature, eh, DSASignatureFormat.Rfc3279DerSequence);
                }
                return false;
            }
            catch (Exception ex) when (ex is CryptographicException or AsnContentException or ArgumentException or Org.BouncyCastle.Crypto.CryptoException) { return false; }
        }

        static HashAlgorithmName? RsaHash(string oid) => oid switch
        {
            "1.2.840.113549.1.1.5" => HashAlgorithmName.SHA1,
            "1.2.840.113549.1.1.11" => HashAlgorithmName.SHA256,
            "1.2.840.113549.1.1.12" => HashAlgorithmName.SHA384,
            "1.2.840.113549.1.1.13" => HashAlgorithmName.SHA512,
            _ => null,
        };

        static HashAlgorithmName? EcHash(string oid) => oid switch
        {
            "1.2.840.10045.4.1" => HashAlgorithmName.SHA1,
            "1.2.840.10045.4.3.2" => HashAlgorithmName.SHA256,
            "1.2.840.10045.4.3.3" => HashAlgorithmName.SHA384,
            "1.2.840.10045.4.3.4" => HashAlgorithmName.SHA512,
            _ => null,
        };

        /// <summary>
        /// RSASSA-PSS (RFC 4055): hash and salt length from the parameters (SHA-1 and 20 when absent; openssl signs with
        /// the longest salt, which the platform's verifier, fixed to the hash length, refuses), MGF1 with the same hash.
        /// Checked with BouncyCastle's PSS signer over the platform's public key numbers.
        /// </summary>
        static bool PssVerifies(X509Certificate2 issuer, byte[] data, byte[] signature, byte[]? parameters)
        {
            string hash = "1.3.14.3.2.26";
            int salt = 20;
            if (parameters is not null)
            {
                var p = new AsnReader(parameters, AsnEncodingRules.DER).ReadSequence();
                var hashTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
                var mgfTag = new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true);
                var saltTag = new Asn1Tag(TagClass.ContextSpecific, 2, isConstructed: true);
                if (p.HasData && p.PeekTag().HasSameClassAndValue(hashTag)) hash = p.ReadSequence(hashTag).ReadSequence().ReadObjectIdentifier();
                if (p.HasData && p.PeekTag().HasSameClassAndValue(mgfTag))
                {
                    var mgf = p.ReadSequence(mgfTag).ReadSequence();
                    if (mgf.ReadObjectIdentifier() != "1.2.840.113549.1.1.8" || mgf.ReadSequence().ReadObjectIdentifier() != hash) return false;
                }
                if (p.HasData && p.PeekTag().HasSameClassAndValue(saltTag))
                {
                    if (!p.ReadSequence(saltTag).TryReadInt32(out salt) || salt is < 0 or > 1024) return false;
                }
            }
            Org.BouncyCastle.Crypto.IDigest digest = hash switch
            {
                "2.16.840.1.101.3.4.2.1" => new Org.BouncyCastle.Crypto.Digests.Sha256Digest(),
                "2.16.840.1.101.3.4.2.2" => new Org.BouncyCastle.Crypto.Digests.Sha384Digest(),
                "2.16.840.1.101.3.4.2.3" => new Org.BouncyCastle.Crypto.Digests.Sha512Digest(),
                "1.3.14.3.2.26" => new Org.BouncyCastle.Crypto.Digests.Sha1Digest(),
                _ => throw new CryptographicException($"unsupported PSS hash {hash}"),
            };
            using var rsa = issuer.GetRSAPublicKey();
            if (rsa is null) return false;
            var key = rsa.ExportParameters(false);
            var pub = new Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters(false,
                new Org.BouncyCastle.Math.BigInteger(1, key.Modulus), new Org.BouncyCastle.Math.BigInteger(1, key.Exponent));
            var signer = new Org.BouncyCastle.Crypto.Signers.PssSigner(new Org.BouncyCastle.Crypto.Engines.RsaEngine(), digest, salt);
            signer.Init(false, pub);
            signer.BlockUpdate(data, 0, data.Length);
            return signer.VerifySignature(signature);
        }

        static (string Oid, byte[]? Parameters) ReadAlgorithm(AsnReader r)
        {
            var alg = r.ReadSequence();
            var oid = alg.ReadObjectIdentifier();
            byte[]? parameters = alg.HasData ? alg.ReadEncodedValue().ToArray() : null;
            alg.ThrowIfNotEmpty();
            return (oid, parameters);
        }

        static bool IsTime(Asn1Tag tag) => tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

        static DateTimeOffset ReadTime(AsnReader r) =>
            r.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? r.ReadUtcTime() : r.ReadGeneralizedTime();
    }
}
