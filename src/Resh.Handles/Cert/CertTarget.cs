using System.Text.RegularExpressions;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Files;

namespace Resh.Handles.Cert;

/// <summary>A cert:// target: a file (cert:///etc/ssl/x.pem, cert://relative.pem) or a TLS endpoint (cert://host:port).</summary>
internal sealed partial record CertTarget(string? Path, string? Host, int Port)
{
    public bool IsEndpoint => Host is not null;
    public string Display => Host is null ? Path! : $"{Host}:{Port}";

    [GeneratedRegex(@"^(?:\[(?<h>[0-9A-Fa-f:.]+)\]|(?<h>[A-Za-z0-9][A-Za-z0-9.-]*)):(?<p>[0-9]{1,5})$")]
    private static partial Regex EndpointPattern();

    public static CertTarget Parse(VerbContext ctx)
    {
        var t = ctx.Target;
        if (t.Length == 0)
            throw ReshError.Usage("The cert:// target is empty.", "Name a file (cert:///etc/ssl/certs/x.pem) or an endpoint (cert://example.org:443).").ToException();
        if (!t.StartsWith('/') && !t.StartsWith('~') && EndpointPattern().Match(t) is { Success: true } m
            && !File.Exists(FilePaths.Resolve(t, ctx.Runtime.Paths.Home)))
        {
            var port = int.Parse(m.Groups["p"].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (port is < 1 or > 65535)
                throw ReshError.Usage($"Port {port} is out of range.", "Use 1-65535: cert://host:443.").ToException();
            return new CertTarget(null, m.Groups["h"].Value, port);
        }
        return new CertTarget(FilePaths.Resolve(t, ctx.Runtime.Paths.Home), null, 0);
    }
}
