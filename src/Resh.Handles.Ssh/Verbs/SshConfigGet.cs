using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Ssh.Fleet;

namespace Resh.Handles.Ssh.Verbs;

public static class SshConfigGet
{
    public static readonly VerbInfo Verb = VerbInfo.Define("config.get", Effect.Read,
        "The effective ssh settings for a host after ~/.ssh/config (ssh -G); no connection is made.",
        [.. SshArgs.Connection], () => SshJson.Default.ConfigGetResult, RunAsync,
        examples: [new("ssh://box.config.get", "HostName, User, Port, IdentityFile, ProxyJump... as ssh will use them.")]);

    static ValueTask<Outcome<ConfigGetResult>> RunAsync(VerbContext ctx) => HostVerb.RunAsync(ctx, SshJson.Default.ConfigGetResult, async (call, host) =>
    {
        var c = await call.Client.EffectiveAsync(host).ConfigureAwait(false);
        string? Opt(string k) => c.Get(k) is { } v && v != "none" ? v : null;
        return new ConfigGetResult(host.Alias, c.Get("hostname"), c.Get("user"), c.Port, c.All("identityfile").ToArray(),
            Opt("proxyjump"), Opt("proxycommand"), c.All("userknownhostsfile").ToArray(), c.Get("stricthostkeychecking"), c.ToJson());
    });
}
