namespace Resh.Handles.Ssh.Hosts;

/// <summary>
/// One host to connect to. <see cref="Alias"/> names it in envelopes; <see cref="Destination"/> is
/// what ssh is given (an alias from ~/.ssh/config, a name or an address), and the optional fields
/// override ~/.ssh/config (they come from <c>user@host:port</c> or an inventory's ansible_* vars).
/// </summary>
public sealed record HostTarget(string Alias, string Destination, string? User = null, int? Port = null,
    string? HostName = null, string? IdentityFile = null)
{
    /// <summary>The inventory's ansible_become for this host (null when it says nothing).</summary>
    public bool? Become { get; init; }
    public string? BecomeUser { get; init; }
    public string? BecomeMethod { get; init; }
    /// <summary>The inventory's ansible_become_password (a literal in a file; a warning says so).</summary>
    public string? BecomePassword { get; init; }

    public override string ToString() => Alias;
}
