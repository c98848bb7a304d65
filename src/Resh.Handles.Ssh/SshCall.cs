using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh;

/// <summary>One ssh:// call: the hosts it names, the settings and the client that reaches them, and how to become another user there.</summary>
public sealed class SshCall
{
    readonly VerbContext _ctx;
    readonly SshArgs _args;

    SshCall(VerbContext ctx, SshArgs args, HostSpec spec, IReadOnlyList<HostTarget> hosts, SshClient client)
    {
        _ctx = ctx;
        _args = args;
        Spec = spec;
        Hosts = hosts;
        Client = client;
    }

    public HostSpec Spec { get; }
    public IReadOnlyList<HostTarget> Hosts { get; }
    public SshClient Client { get; }
    public SshSettings Settings => Client.Settings;

    public static SshCall Prepare(VerbContext ctx, string hostText, SshArgs args)
    {
        var spec = HostSpec.Parse(hostText);
        var resolver = new HostResolver(() => ctx.Runtime.Config, args.Get(ctx, args.Inventory));
        var hosts = resolver.Resolve(spec);
        if (args.Get(ctx, args.Limit) is { } limit) hosts = resolver.Limit(hosts, limit);
        var settings = SshSettings.From(ctx, args.Get(ctx, args.HostKey));
        return new SshCall(ctx, args, spec, hosts, new SshClient(ctx, settings));
    }

    /// <summary>For the handle's own verbs: the target is the host spec, connection arguments are the shared ones.</summary>
    public static SshCall Prepare(VerbContext ctx) => Prepare(ctx, ctx.Target, SshArgs.Own);

    /// <summary>
    /// How to become another user on this host, or null: an argument of the call wins, then the host's
    /// inventory (ansible_become, ansible_become_user, ansible_become_method), then the defaults (root, sudo).
    /// </summary>
    public Become? BecomeFor(HostTarget host)
    {
        var on = _args.IsSet(_ctx, _args.Become) ? _ctx.Get(_args.Become!) : host.Become ?? false;
        if (!on) return null;
        var user = (_args.IsSet(_ctx, _args.BecomeUser) ? _args.Get(_ctx, _args.BecomeUser) : null) ?? host.BecomeUser ?? "root";
        var method = (_args.IsSet(_ctx, _args.BecomeMethod) ? _args.Get(_ctx, _args.BecomeMethod) : null) ?? host.BecomeMethod ?? "sudo";
        if (!HostSpec.IsUser(user))
            throw ReshError.Usage($"become_user `{user}` is not a user name.", "Example: become_user=postgres").ToException();
        if (method is not ("sudo" or "su" or "doas"))
            throw ReshError.Usage($"become_method `{method}` is not sudo, su or doas.", "resh becomes another user with sudo, su or doas.").ToException();
        var password = _args.BecomePassword is { } arg && _ctx.GetSecret(arg) is { } secret ? secret.Reveal() : host.BecomePassword;
        if (password is not null) Resh.Core.Secrets.SecretRedactor.Register(password);
        if (password is not null && ReferenceEquals(password, host.BecomePassword) && !_ctx.Warnings.Any(w => w.StartsWith(host.Alias + ": the become password", StringComparison.Ordinal)))
            _ctx.Warn($"{host.Alias}: the become password comes from the inventory as plain text (ansible_become_password); prefer --become-password secret:NAME.");
        return new Become(method, user, password);
    }
}
