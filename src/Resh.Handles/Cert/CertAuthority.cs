using System.Globalization;
using System.Numerics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Cert;

/// <summary>A local CA made by ca.create (or any CA certificate with its key): certificate, signing key, serial file.</summary>
internal sealed class CertAuthority : IDisposable
{
    public required string CertPath { get; init; }
    public required string KeyPath { get; init; }
    public required X509Certificate2 Certificate { get; init; }
    public required CertKey Key { get; init; }
    public string SerialPath => Path.ChangeExtension(CertPath, ".srl");

    public static CertAuthority Open(string certPath, string? keyPath, string? passphrase)
    {
        keyPath ??= Path.ChangeExtension(certPath, ".key");
        var m = CertFiles.Load(new CertTarget(certPath, null, 0), null);
        var cert = m.Certificates.FirstOrDefault();
        foreach (var c in m.Certificates.Skip(1)) c.Dispose();
        if (cert is null || cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            cert?.Dispose();
            throw ReshError.Usage($"{certPath} is not a CA certificate.", "Create one with ca.create, or name the CA's certificate.").ToException();
        }
        CertKey key;
        try { key = CertKey.Load(CertFiles.ReadBounded(keyPath), passphrase, keyPath); }
        catch { cert.Dispose(); throw; }
        if (!key.Matches(cert.PublicKey))
        {
            key.Dispose();
            cert.Dispose();
            throw ReshError.Usage($"{keyPath} is not the private key of {certPath}.", "Name the CA's key with ca_key=.").ToException();
        }
        return new CertAuthority { CertPath = certPath, KeyPath = keyPath, Certificate = cert, Key = key };
    }

    /// <summary>The serial the .srl file holds (hex), or a random one when the CA has no serial file yet.</summary>
    public byte[] NextSerial()
    {
        var path = SerialPath;
        if (Posix.Stat(path, follow: false, out _) is null) return CertSerials.Random();
        var text = Encoding.ASCII.GetString(CertFiles.ReadBounded(path)).Trim();
        if (text.Length is 0 or > 40 || !text.All(Uri.IsHexDigit))
            throw ReshError.Usage($"The serial file {path} does not hold a hex serial number.", "Fix or remove it (a random serial is used without one).").ToException();
        var n = BigInteger.Parse("0" + text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if (n.IsZero) n = BigInteger.One;
        return n.ToByteArray(isUnsigned: true, isBigEndian: true);
    }

    public void AdvanceSerial(byte[] used)
    {
        CertWrites.CheckDestination(SerialPath, "serial file");
        CertWrites.Write(SerialPath, Encoding.ASCII.GetBytes(CertSerials.Next(used) + "\n"), CertWrites.Public);
    }

    /// <summary>Signs <paramref name="request"/> as this CA (AKI added, not_after capped at the CA's).</summary>
    public X509Certificate2 Issue(CertificateRequest request, DateTimeOffset notBefore, DateTimeOffset notAfter, byte[] serial)
    {
        if (Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault() is { } ski)
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));
        var caEnd = CertBuild.Utc(Certificate.NotAfter);
        if (notAfter > caEnd) notAfter = caEnd;
        return request.Create(Certificate.SubjectName, Key.Signer(), notBefore, notAfter, serial);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        Key.Dispose();
    }
}
