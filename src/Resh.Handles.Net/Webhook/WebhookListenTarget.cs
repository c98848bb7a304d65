using System.Globalization;
using System.Net;
using Resh.Core.Errors;

namespace Resh.Handles.Net.Webhook;

/// <summary>The target of listen: ADDRESS:PORT[/PATH] (an IP literal, [v6] in brackets, or localhost; PATH is one route).</summary>
internal sealed record WebhookListenTarget(IPEndPoint EndPoint, string? Path)
{
    const string Hint = "Write webhook://ADDRESS:PORT/PATH.listen, e.g. webhook://127.0.0.1:9000/deploy.listen (0.0.0.0 for every interface).";

    public static WebhookListenTarget Parse(string target)
    {
        var slash = target.IndexOf('/');
        var authority = slash < 0 ? target : target[..slash];
        var path = slash < 0 || slash == target.Length - 1 ? null : target[slash..];
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || authority.EndsWith(']'))
            throw ReshError.Usage($"`{authority}` has no port.", Hint).ToException();
        var host = authority[..colon].Trim('[', ']');
        if (!int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw ReshError.Usage($"`{authority[(colon + 1)..]}` is not a port (1-65535).", Hint).ToException();
        IPAddress address;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
        else if (!IPAddress.TryParse(host, out address!))
            throw ReshError.Usage($"`{host}` is not an IP address to listen on.", Hint).ToException();
        if (path is not null) CheckPath(path, "The target's path");
        return new WebhookListenTarget(new IPEndPoint(address, port), path);
    }

    /// <summary>A route path: /, letters, digits and -._~/ only (no query, no escapes), so matching is exact.</summary>
    public static void CheckPath(string path, string what)
    {
        if (path.Length is 0 or > 200 || path[0] != '/' || !path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '_' or '.' or '~'))
            throw ReshError.Usage($"{what} `{path}` is not a route path.", "A path starts with / and holds letters, digits and - _ . ~ / only, e.g. /deploy.").ToException();
    }
}
