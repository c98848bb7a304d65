using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Cert;

/// <summary>The arguments every reading verb shares, and reading the target with them.</summary>
internal static class CertLoad
{
    public static readonly Arg<SecretRef?> Password = Arg.Secret("password", "Password of a PKCS#12 bundle.");
    public static readonly Arg<string?> ServerName = Arg.String("servername", "SNI name sent to an endpoint (default: the target's host; none for an IP address).", aliases: ["sni"]);

    public static readonly Arg<string?> StartTls = Arg.Enum("starttls",
        "For an endpoint that starts in plain text: speak this protocol's STARTTLS first (smtp: EHLO then STARTTLS, ports 25/587; imap: STARTTLS, port 143), as openssl s_client -starttls does.",
        CertEndpoint.StartTlsProtocols);

    public static Task<CertMaterial> ReadAsync(VerbContext ctx, CertTarget target)
    {
        if (target.IsEndpoint) return CertEndpoint.FetchAsync(ctx, target, ctx.Get(ServerName), ctx.Get(StartTls));
        if (ctx.Get(StartTls) is not null)
            throw Core.Errors.ReshError.Usage("starttls= is for an endpoint (cert://host:port), not a file.", "Drop starttls=, or name host:port.").ToException();
        var password = ctx.GetSecret(Password)?.Reveal();
        return Task.FromResult(CertFiles.Load(target, password));
    }
}
