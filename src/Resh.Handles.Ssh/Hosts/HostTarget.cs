namespace Resh.Handles.Ssh.Hosts;

/// <summary>
/// One host to connect to. <see cref="Alias"/> names it in envelopes; <see cref="Destination"/> is
/// what ssh is given (an alias from ~/.ssh/config, a name or an address), and the optional fields
/// override ~/.ssh/config (they come from <c>user@host:port</c> or an inventory's ansible_* vars).
/// </summary>
public sealed record HostTarget(string Alias, string Destination, string? User = null, int? Port = null,
    string? HostName = null, string? IdentityFile = null)
{
    public override string ToString() => Alias;
}
