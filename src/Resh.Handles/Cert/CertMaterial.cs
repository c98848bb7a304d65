using System.Security.Cryptography.X509Certificates;

namespace Resh.Handles.Cert;

/// <summary>What was read from a target: certificates in order, keys and CSRs described (never key material).</summary>
internal sealed class CertMaterial : IDisposable
{
    public required CertTarget Target { get; init; }
    public required string Format { get; init; }
    public string? Protocol { get; init; }
    public string? Cipher { get; init; }
    public List<X509Certificate2> Certificates { get; } = [];
    public List<KeyInfo> Keys { get; } = [];
    public List<CsrInfo> Csrs { get; } = [];

    public void Dispose()
    {
        foreach (var c in Certificates) c.Dispose();
    }
}
