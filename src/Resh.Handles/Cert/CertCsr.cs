using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.Cert;

/// <summary>Reads a CSR file (PEM or DER) and checks its signature: the platform's check for rsa/ecdsa, BouncyCastle's for ed25519.</summary>
internal static class CertCsr
{
    const CertificateRequestLoadOptions Load = CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions;

    public static CertificateRequest Read(string path)
    {
        var bytes = CertFiles.ReadBounded(path);
        byte[] der;
        try
        {
            if (bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0)
            {
                var text = Encoding.ASCII.GetString(bytes).AsSpan();
                der = [];
                while (PemEncoding.TryFind(text, out var f))
                {
                    var label = text[f.Label];
                    if (label.SequenceEqual("CERTIFICATE REQUEST") || label.SequenceEqual("NEW CERTIFICATE REQUEST"))
                    {
                        der = Convert.FromBase64String(text[f.Base64Data].ToString());
                        break;
                    }
                    text = text[f.Location.End.Value..];
                }
                if (der.Length == 0) throw Bad(path, "holds no certificate signing request");
            }
            else der = bytes;
            var req = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, Load | CertificateRequestLoadOptions.SkipSignatureValidation);
            if (!SignatureValid(der, req)) throw Bad(path, "is a CSR whose signature does not verify");
            return req;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or AsnContentException)
        {
            throw Bad(path, "does not parse as a certificate signing request");
        }
    }

    static bool SignatureValid(byte[] der, CertificateRequest parsed)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var info = outer.ReadEncodedValue().ToArray();
        var alg = outer.ReadSequence().ReadObjectIdentifier();
        var sig = outer.ReadBitString(out _);
        if (alg == CertKey.Ed25519Oid)
            return CertKey.VerifyEd25519(parsed.PublicKey.ExportSubjectPublicKeyInfo(), info, sig);
        try
        {
            CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, Load);
            return true;
        }
        catch (CryptographicException) { return false; }
    }

    static ReshException Bad(string path, string what) =>
        ReshError.Usage($"{path} {what}.", "Make the CSR again (csr.create, or openssl req -new).").ToException();
}
