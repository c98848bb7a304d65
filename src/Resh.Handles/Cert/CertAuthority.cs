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
    FileStream? _lock;

    /// <summary>
    /// Opens the CA; unless <paramref name="dryRun"/>, holds its lock (CERT.lock, flock) until disposed, so parallel
    /// sign/renew/revoke calls never hand out one serial twice or lose a CRL entry.
    /// </summary>
    public static CertAuthority Open(string certPath, string? keyPath, string? passphrase, bool dryRun = false)
    {
        var held = dryRun ? null : Lock(certPath);
        try { return Open(certPath, keyPath, passphrase, held); }
        catch { held?.Dispose(); throw; }
    }

    static FileStream Lock(string certPath)
    {
        var lockPath = certPath + ".lock";
        CertWrites.CheckDestination(lockPath, "lock file");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return new FileStream(lockPath, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, // flock(LOCK_EX)
                    UnixCreateMode = CertWrites.Private,
                });
            }
            catch (UnauthorizedAccessException)
            {
                throw ReshError.PermissionDenied($"Cannot lock the CA {certPath} ({lockPath}).", "Run as the user who owns the CA.").ToException();
            }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(20); }
            catch (IOException)
            {
                throw ReshError.Timeout($"The CA {certPath} stayed locked by another call for a minute.", "Retry when the other sign/revoke has finished.").ToException();
            }
        }
    }

    static CertAuthority Open(string certPath, string? keyPath, string? passphrase, FileStream? held)
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
        return new CertAuthority { CertPath = certPath, KeyPath = keyPath, Certificate = cert, Key = key, _lock = held };
    }

    /// <summary>The serial to use: one after the last used, which the .srl file holds (as openssl's -CAserial), or a random one without the file.</summary>
    public byte[] NextSerial()
    {
        var path = SerialPath;
        if (Posix.Stat(path, follow: false, out _) is null) return CertSerials.Random();
        var text = Encoding.ASCII.GetString(CertFiles.ReadBounded(path)).Trim();
        if (text.Length is 0 or > 40 || !text.All(Uri.IsHexDigit))
            throw ReshError.Usage($"The serial file {path} does not hold a hex serial number.", "Fix or remove it (a random serial is used without one).").ToException();
        var n = BigInteger.Parse("0" + text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        n += 1;
        return n.ToByteArray(isUnsigned: true, isBigEndian: true);
    }

    public void AdvanceSerial(byte[] used)
    {
        CertWrites.CheckDestination(SerialPath, "serial file");
        // The last serial used, as openssl x509 -CAserial keeps it: both tools can share the file.
        CertWrites.Write(SerialPath, Encoding.ASCII.GetBytes(Convert.ToHexString(used) + "\n"), CertWrites.Public);
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
        _lock?.Dispose();
    }
}
