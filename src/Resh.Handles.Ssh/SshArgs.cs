using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Ssh;

/// <summary>
/// Connection arguments every ssh:// verb takes (and remote stages too, next to the inner verb's own). For a
/// remote stage whose own verb already has an argument of that name (proc.list's `limit`), the connection
/// argument is spelled with an ssh_ prefix (`ssh_limit`).
/// </summary>
public sealed class SshArgs
{
    const string InventoryText = "An Ansible INI or YAML inventory used as is: @group names its groups and its hosts keep their ansible_host/port/user and ansible_become* settings.";
    const string HostKeyText = "strict refuses unknown and changed host keys; accept-new records an unknown host's key on first use (a changed key is still refused).";
    const string LimitText = "Narrow the hosts as Ansible's --limit does: patterns separated by , or : (host names, groups, * wildcards), `!pattern` excludes, `&pattern` intersects.";
    const string BecomeText = "Run as another user on the host (become_user, root by default) through become_method, as Ansible's become; also from the inventory's ansible_become.";
    const string BecomeUserText = "The user to become (default root; the inventory's ansible_become_user applies when this is not given).";
    const string BecomeMethodText = "How to become: sudo (default), su or doas (the inventory's ansible_become_method applies when this is not given).";

    const string BecomePasswordText = "sudo's password on the host, as a secret (secret:NAME, env:VAR, file:PATH, @-); it reaches sudo on the channel's stdin, never a command line.";

    static readonly string[] Methods = ["sudo", "su", "doas"];

    public Arg<string?>? Inventory { get; private init; }
    public Arg<string?>? HostKey { get; private init; }
    public Arg<string?>? Limit { get; private init; }
    public Arg<bool>? Become { get; private init; }
    public Arg<string?>? BecomeUser { get; private init; }
    public Arg<string?>? BecomeMethod { get; private init; }
    public Arg<SecretRef?>? BecomePassword { get; private init; }

    public IEnumerable<ArgInfo> All => new ArgInfo?[] { Inventory, HostKey, Limit, Become, BecomeUser, BecomeMethod, BecomePassword }.OfType<ArgInfo>();

    /// <summary>The spelling for the handle's own verbs (nothing clashes there).</summary>
    public static readonly SshArgs Own = Make(_ => false);

    /// <summary>For the declarations of ssh://'s own verbs.</summary>
    public static ArgInfo[] Connection => Own.All.ToArray();

    /// <summary>The connection arguments a remote stage adds next to the inner verb's, renamed ssh_* where the names clash.</summary>
    public static SshArgs For(VerbInfo inner) => Make(n => inner.Args.Any(a => a.Matches(n)));

    static SshArgs Make(Func<string, bool> taken)
    {
        string? Name(string n) => !taken(n) && !taken("ssh_" + n) ? n : !taken("ssh_" + n) ? "ssh_" + n : null;
        string[] Alias(string n, string name) => name == n ? ["ssh_" + n] : [];
        Arg<string?>? Str(string n, string text, string[]? examples = null) =>
            Name(n) is { } name ? Arg.String(name, text, examples: examples, aliases: Alias(n, name)) : null;
        Arg<string?>? Choice(string n, string text, string[] choices) =>
            Name(n) is { } name ? Arg.Enum(name, text, choices, aliases: Alias(n, name)) : null;
        return new SshArgs
        {
            Inventory = Str("inventory", InventoryText, ["hosts.ini"]),
            HostKey = Choice("hostkey", HostKeyText, ["strict", "accept-new"]),
            Limit = Str("limit", LimitText, ["web*:!web03"]),
            Become = Name("become") is { } b ? Arg.Bool(b, BecomeText, aliases: Alias("become", b)) : null,
            BecomeUser = Str("become_user", BecomeUserText, ["root", "postgres"]),
            BecomeMethod = Choice("become_method", BecomeMethodText, Methods),
            BecomePassword = Name("become_password") is { } bp ? Arg.Secret(bp, BecomePasswordText, aliases: Alias("become_password", bp)) : null,
        };
    }

    public string? Get(VerbContext ctx, Arg<string?>? arg) => arg is null ? null : ctx.Get(arg);

    /// <summary>Whether the call named an argument explicitly (so it wins over the inventory).</summary>
    public bool IsSet(VerbContext ctx, ArgInfo? arg) => arg is not null && ctx.IsSet(arg);
}
