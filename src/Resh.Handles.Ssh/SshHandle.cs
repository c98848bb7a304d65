using Resh.Core.Model;
using Resh.Core.Registry;
using Resh.Handles.Ssh.Remote;

namespace Resh.Handles.Ssh;

/// <summary>ssh:// — run any stage on one host or a fleet with resh itself, plus ssh's own verbs.</summary>
public static class SshHandle
{
    public static HandleInfo Create(HandleRegistry registry) => new("ssh",
        "Remote and fleet execution over the user's OpenSSH: any stage on one host or many, plus exec, file transfer, host keys and authorized keys.",
        "[user@]HOST[:port] — a Host alias from ~/.ssh/config, a name or an address; many hosts as a,b,c, web[01:20] or @group; " +
        "then /STAGE to run a stage there (ssh://box/system://.hostname).",
        [])
    {
        Resolver = request => RemoteStage.Resolve(registry, request),
    };
}
