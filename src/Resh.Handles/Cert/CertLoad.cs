using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Cert;

/// <summary>The arguments every reading verb shares, and reading the target with them.</summary>
internal static class CertLoad
{
    public static readonly Arg<SecretRef?> Password = Arg.Secret("password", "Password of a PKCS#12 bundle.");
    public static readonly Arg<string?> ServerName = Arg.String("servername", "SNI name sent to an endpoint (default: the target's host; none for an IP address).", aliases: ["sni"]);

    public static Task<CertMaterial> ReadAsync(VerbContext ctx, CertTarget target)
    {
        if (target.IsEndpoint) return CertEndpoint.FetchAsync(ctx, target, ctx.Get(ServerName));
        var password = ctx.GetSecret(Password)?.Reveal();
        return Task.FromResult(CertFiles.Load(target, password));
    }
}
