using Resh.Core.Execution;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh;

/// <summary>One ssh:// call: the hosts it names, the settings and the client that reaches them.</summary>
public sealed class SshCall
{
    SshCall(HostSpec spec, IReadOnlyList<HostTarget> hosts, SshClient client)
    {
        Spec = spec;
        Hosts = hosts;
        Client = client;
    }

    public HostSpec Spec { get; }
    public IReadOnlyList<HostTarget> Hosts { get; }
    public SshClient Client { get; }
    public SshSettings Settings => Client.Settings;

    public static SshCall Prepare(VerbContext ctx, string hostText, string? inventory, string? hostKey)
    {
        var spec = HostSpec.Parse(hostText);
        var hosts = new HostResolver(() => ctx.Runtime.Config, inventory).Resolve(spec);
        var settings = SshSettings.From(ctx, hostKey);
        return new SshCall(spec, hosts, new SshClient(ctx, settings));
    }

    /// <summary>For the handle's own verbs: the target is the host spec, connection arguments are the shared ones.</summary>
    public static SshCall Prepare(VerbContext ctx) => Prepare(ctx, ctx.Target, ctx.Get(SshArgs.Inventory), ctx.Get(SshArgs.HostKey));
}
