using Resh.Core.Model;

namespace Resh.Handles.Ssh;

/// <summary>Connection arguments every ssh:// verb takes (and remote stages too, next to the inner verb's own).</summary>
public static class SshArgs
{
    const string InventoryText = "An Ansible INI or YAML inventory used as is: @group names its groups and its hosts keep their ansible_host/port/user.";
    const string HostKeyText = "strict refuses unknown and changed host keys; accept-new records an unknown host's key on first use (a changed key is still refused).";

    public static readonly Arg<string?> Inventory = Arg.String("inventory", InventoryText, examples: ["hosts.ini"], aliases: ["ssh_inventory"]);
    public static readonly Arg<string?> HostKey = Arg.Enum("hostkey", HostKeyText, ["strict", "accept-new"], aliases: ["ssh_hostkey"]);

    // For a remote stage whose own verb already has an argument called inventory or hostkey.
    static readonly Arg<string?> InventoryPrefixed = Arg.String("ssh_inventory", InventoryText);
    static readonly Arg<string?> HostKeyPrefixed = Arg.Enum("ssh_hostkey", HostKeyText, ["strict", "accept-new"]);

    public static ArgInfo[] Connection => [Inventory, HostKey];

    /// <summary>The connection arguments a remote stage adds next to the inner verb's, renamed ssh_* where the names clash.</summary>
    public static (Arg<string?>? Inventory, Arg<string?>? HostKey) For(VerbInfo inner)
    {
        bool Taken(string n) => inner.Args.Any(a => a.Matches(n));
        var inventory = !Taken("inventory") && !Taken("ssh_inventory") ? Inventory : !Taken("ssh_inventory") ? InventoryPrefixed : null;
        var hostkey = !Taken("hostkey") && !Taken("ssh_hostkey") ? HostKey : !Taken("ssh_hostkey") ? HostKeyPrefixed : null;
        return (inventory, hostkey);
    }
}
