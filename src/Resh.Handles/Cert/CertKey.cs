using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Resh.Core.Errors;

namespace Resh.Handles.Cert;

/// <summary>
/// A private key resh creates, reads or signs with: RSA and ECDSA through System.Security.Cryptography, Ed25519
/// through BouncyCastle (.NET has no EdDSA). Its material leaves this object only as PKCS#8 for a 0600 file.
/// </summary>
internal sealed class CertKey : IDisposable
{
    public const string RsaOid = "1.2.840.113549.1.1.1";
    public const string EcOid = "1.2.840.10045.2.1";
    public const string Ed25519Oid = "1.3.101.112";
    static readonly byte[] Ed25519AlgorithmId = [0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70];

    RSA? _rsa;
    ECDsa? _ec;
    byte[]? _ed; // 32-byte seed

    CertKey() { }

    /// <summary>The ECDSA key object (ACME account keys), null for other types.</summary>
    public ECDsa? Ecdsa => _ec;

    /// <summary>rsa, ecdsa or ed25519.</summary>
    public string Type => _rsa is not null ? "rsa" : _ec is not null ? "ecdsa" : "ed25519";
    public int Size => _rsa?.KeySize ?? _ec?.KeySize ?? 256;
    public string? Curve => _ec is null ? null : _ec.KeySize switch { 256 => "P-256", 384 => "P-384", 521 => "P-521", _ => "unknown" };

    /// <summary>The digest that goes with the key (SHA-384 for P-384, SHA-512 for P-521; Ed25519 hashes internally).</summary>
    public HashAlgorithmName Hash => _ec?.KeySize switch { 384 => HashAlgorithmName.SHA384, 521 => HashAlgorithmName.SHA512, _ => HashAlgorithmName.SHA256 };

    public static CertKey Generate(string type, int size)
    {
        var k = new CertKey();
        switch (type)
        {
            case "rsa": k._rsa = RSA.Create(size); break;
            case "ecdsa": k._ec = ECDsa.Create(size switch { 384 => ECCurve.NamedCurves.nistP384, 521 => ECCurve.NamedCurves.nistP521, _ => ECCurve.NamedCurves.nistP256 }); break;
            case "ed25519": k._ed = RandomNumberGenerator.GetBytes(32); break;
            default: throw new ArgumentException($"unknown key type {type}");
        }
        return k;
    }

    /// <summary>The default and allowed sizes per type; null when the size is not allowed.</summary>
    public static string? SizeProblem(string type, int size) => type switch
    {
        "rsa" when size is not (2048 or 3072 or 4096) => "Use 2048, 3072 or 4096 bits for rsa.",
        "ecdsa" when size is not (256 or 384 or 521) => "Use 256 (P-256), 384 (P-384) or 521 (P-521) for ecdsa.",
        "ed25519" when size != 256 => "ed25519 keys have a fixed size; leave key_size out.",
        _ => null,
    };

    public static int DefaultSize(string type) => type == "rsa" ? 3072 : 256;

    // ---- reading --------------------------------------------------------------------------

    /// <summary>
    /// Reads the first private key in PEM text (PKCS#8, encrypted PKCS#8, traditional RSA/EC) or a DER PKCS#8 key.
    /// Throws a usage ReshException naming <paramref name="where"/> when there is none, it is encrypted and no
    /// passphrase was given, or the passphrase is wrong.
    /// </summary>
    public static CertKey Load(byte[] bytes, string? passphrase, string where)
    {
        try
        {
            if (bytes.AsSpan().IndexOf("-----BEGIN "u8) < 0) return FromPkcs8(bytes);
            var text = Encoding.ASCII.GetString(bytes).AsSpan();
            if (text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
                throw ReshError.Usage($"{where} is a legacy OpenSSL-encrypted key (Proc-Type header), which resh does not read.",
                    "Convert it once: openssl pkcs8 -topk8 -in OLD -out NEW (PKCS#8, with -v2 aes256 to keep a passphrase).").ToException();
            while (PemEncoding.TryFind(text, out var f))
            {
                var label = text[f.Label].ToString();
                var der = Convert.FromBase64String(text[f.Base64Data].ToString());
                text = text[f.Location.End.Value..];
                switch (label)
                {
                    case "PRIVATE KEY": return FromPkcs8(der);
                    case "RSA PRIVATE KEY":
                        var rsa = RSA.Create();
                        rsa.ImportRSAPrivateKey(der, out _);
                        return new CertKey { _rsa = rsa };
                    case "EC PRIVATE KEY":
                        var ec = ECDsa.Create();
                        ec.ImportECPrivateKey(der, out _);
                        return new CertKey { _ec = ec };
                    case "ENCRYPTED PRIVATE KEY":
                        if (passphrase is null)
                            throw ReshError.Usage($"{where} is encrypted.", "Give its passphrase with passphrase=secret:NAME (or env:VAR, file:PATH, @-).").ToException();
                        byte[] plain;
                        try { plain = CertPkcs8Crypto.Decrypt(der, passphrase); }
                        catch (Pkcs8FormatException ex)
                        {
                            throw ReshError.Usage($"{where} is an encrypted key resh cannot read: {ex.Message}", "Re-encrypt it with PBES2 (openssl pkcs8 -topk8 -v2 aes-256-cbc).").ToException();
                        }
                        catch (CryptographicException)
                        {
                            throw ReshError.PermissionDenied($"{where} cannot be decrypted with the passphrase given.", "Check the passphrase.").ToException();
                        }
                        try { return FromPkcs8(plain); }
                        finally { CryptographicOperations.ZeroMemory(plain); }
                }
            }
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or AsnContentException or ArgumentException)
        {
            throw NoKey(where);
        }
        throw NoKey(where);
    }

    static ReshException NoKey(string where) =>
        ReshError.Usage($"{where} holds no private key resh can read.", "Name a PEM private key (PKCS#8 or traditional RSA/EC; rsa, ecdsa or ed25519).").ToException();

    public static CertKey FromPkcs8(ReadOnlySpan<byte> der)
    {
        var seq = new AsnReader(der.ToArray(), AsnEncodingRules.BER).ReadSequence();
        seq.ReadInteger();
        var alg = seq.ReadSequence();
        var oid = alg.ReadObjectIdentifier();
        switch (oid)
        {
            case RsaOid:
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(der, out _);
                return new CertKey { _rsa = rsa };
            case EcOid:
                var ec = ECDsa.Create();
                ec.ImportPkcs8PrivateKey(der, out _);
                return new CertKey { _ec = ec };
            case Ed25519Oid:
                // privateKey OCTET STRING wraps CurvePrivateKey ::= OCTET STRING (32 bytes)
                var inner = new AsnReader(seq.ReadOctetString(), AsnEncodingRules.BER).ReadOctetString();
                if (inner.Length != 32) throw new CryptographicException("bad ed25519 key");
                return new CertKey { _ed = inner };
            default:
                throw new CryptographicException($"unsupported key algorithm {oid}");
        }
    }

    // ---- writing --------------------------------------------------------------------------

    public byte[] ExportPkcs8()
    {
        if (_rsa is not null) return _rsa.ExportPkcs8PrivateKey();
        if (_ec is not null) return _ec.ExportPkcs8PrivateKey();
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteInteger(0);
            w.WriteEncodedValue(Ed25519AlgorithmId);
            var inner = new AsnWriter(AsnEncodingRules.DER);
            inner.WriteOctetString(_ed);
            w.WriteOctetString(inner.Encode());
        }
        return w.Encode();
    }

    /// <summary>PEM: PKCS#8, encrypted (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC) when a passphrase is given.</summary>
    public byte[] ExportPem(string? passphrase)
    {
        var der = ExportPkcs8();
        try
        {
            if (passphrase is null) return Encoding.ASCII.GetBytes(PemEncoding.WriteString("PRIVATE KEY", der) + "\n");
            var enc = CertPkcs8Crypto.Encrypt(der, passphrase);
            return Encoding.ASCII.GetBytes(PemEncoding.WriteString("ENCRYPTED PRIVATE KEY", enc) + "\n");
        }
        finally { CryptographicOperations.ZeroMemory(der); }
    }

    public byte[] ExportSubjectPublicKeyInfo()
    {
        if (_rsa is not null) return _rsa.ExportSubjectPublicKeyInfo();
        if (_ec is not null) return _ec.ExportSubjectPublicKeyInfo();
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteEncodedValue(Ed25519AlgorithmId);
            w.WriteBitString(Ed25519Public());
        }
        return w.Encode();
    }

    byte[] Ed25519Public() => new Ed25519PrivateKeyParameters(_ed!, 0).GeneratePublicKey().GetEncoded();

    public PublicKey PublicKey => PublicKey.CreateFromSubjectPublicKeyInfo(ExportSubjectPublicKeyInfo(), out _);

    /// <summary>SHA-256 of the SubjectPublicKeyInfo, colon hex (as `openssl pkey -pubout -outform DER | sha256sum`).</summary>
    public string PublicKeySha256 => CertDescribe.Colons(SHA256.HashData(ExportSubjectPublicKeyInfo()));

    public bool Matches(PublicKey key) => key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(ExportSubjectPublicKeyInfo());

    public X509SignatureGenerator Signer() => _rsa is not null
        ? X509SignatureGenerator.CreateForRSA(_rsa, RSASignaturePadding.Pkcs1)
        : _ec is not null ? X509SignatureGenerator.CreateForECDsa(_ec) : new Ed25519Generator(this);

    /// <summary>A certificate request for this key (subject and extensions to be added by the caller).</summary>
    public CertificateRequest Request(X500DistinguishedName subject) => _rsa is not null
        ? new CertificateRequest(subject, _rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
        : _ec is not null ? new CertificateRequest(subject, _ec, Hash) : new CertificateRequest(subject, PublicKey, HashAlgorithmName.SHA256);

    /// <summary>The certificate with this key attached (rsa and ecdsa; for PKCS#12 export).</summary>
    public X509Certificate2 Attach(X509Certificate2 cert) => _rsa is not null ? cert.CopyWithPrivateKey(_rsa)
        : _ec is not null ? cert.CopyWithPrivateKey(_ec)
        : throw new NotSupportedException("ed25519");

    byte[] SignEd25519(byte[] data)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, new Ed25519PrivateKeyParameters(_ed!, 0));
        signer.BlockUpdate(data, 0, data.Length);
        return signer.GenerateSignature();
    }

    /// <summary>Checks an Ed25519 signature over <paramref name="data"/> with a SubjectPublicKeyInfo's key.</summary>
    public static bool VerifyEd25519(byte[] spki, byte[] data, byte[] signature)
    {
        var r = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
        r.ReadSequence();
        var pub = r.ReadBitString(out _);
        if (pub.Length != 32) return false;
        var v = new Ed25519Signer();
        v.Init(false, new Ed25519PublicKeyParameters(pub, 0));
        v.BlockUpdate(data, 0, data.Length);
        return v.VerifySignature(signature);
    }

    sealed class Ed25519Generator(CertKey key) : X509SignatureGenerator
    {
        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) => [.. Ed25519AlgorithmId];
        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) => key.SignEd25519(data);
        protected override PublicKey BuildPublicKey() => key.PublicKey;
    }

    public void Dispose()
    {
        _rsa?.Dispose();
        _ec?.Dispose();
        if (_ed is not null) CryptographicOperations.ZeroMemory(_ed);
    }
}
