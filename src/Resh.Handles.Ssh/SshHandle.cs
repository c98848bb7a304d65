using Resh.Core.Model;
using Resh.Core.Registry;
using Resh.Handles.Ssh.Remote;

namespace Resh.Handles.Ssh;

/// <summary>ssh:// — run any stage on one host or a fleet with resh itself, plus ssh's own verbs.</summary>
public static class SshHandle
{
    const string Notes =
        "`ssh://HOST/STAGE` runs any stage of any handle on the host with resh itself and prints the host's envelope, the same shape as a local run with `host` set " +
        "(`ssh://box/file:///etc/hosts.read --format raw`). The stage's own arguments are checked locally and sent as JSON on the remote resh's stdin, never on its command line. " +
        "The first call copies this build (gzipped, through gzip -d; over SFTP when the host has no gzip) into `${XDG_CACHE_HOME:-~/.cache}/resh/<build>/resh` (0700) on the host, " +
        "into a 0600 temporary file the host made, checked against the build's SHA-256 before it is renamed; later calls reuse it, and each new connection checks it " +
        "against that hash again (a truncated or replaced build is uploaded anew). An answer for another handle or verb than the one asked is discarded. " +
        "Old builds are pruned when a new one arrives (`[ssh] keep_builds`, default 3). A host of another architecture is `unsupported`.\n\n" +
        "become (`--become`, `become=true`, `become_user=`, `become_method=sudo|su|doas`, `--become-password secret:NAME`, or the inventory's ansible_become*) runs the " +
        "remote resh as root, or exec and file transfers as any user: the password is the first line of the channel's stdin, handed to sudo by an askpass helper, never on a command line. " +
        "su and doas work without a password only. Arguments given in the call win over the inventory.\n\n" +
        "Transport is the user's OpenSSH client: ~/.ssh/config (Host aliases, HostName, User, Port, IdentityFile, ProxyJump, Include), ssh-agent and known_hosts apply. " +
        "Every ssh runs with BatchMode (never a prompt), strict host key checking (`hostkey=accept-new` is the opt-in for new hosts; a changed key is always refused), " +
        "ConnectTimeout, and a ControlMaster kept for 5 minutes (socket in the state dir), so a repeated call skips the handshake. Key passphrases come from ssh-agent " +
        "(resh never takes them on the command line). A secret-typed argument of the inner stage (`password=secret:NAME`) is resolved here and reaches the remote resh inside the JSON on its stdin.\n\n" +
        "Many hosts: `a,b,c`, ranges `web[01:20]`, `@group` from `[inventory]` in the config file or from an Ansible INI/YAML inventory (`inventory=PATH`, or `[ssh] inventory`); " +
        "`--limit PATTERN` narrows them as Ansible's does (`ssh_limit` when the remote verb has a `limit` of its own). A changed host key is counted apart (`host_key_changed`), never as a host that is down. " +
        "--timeout bounds the connection attempts too. Hints from a host name it (`resh ssh://HOST/svc://x.logs`), so they can be pasted. " +
        "They run in parallel (`--forks`, default 20). The answer is one fleet envelope whose result holds `hosts` (every host's envelope) and `summary` " +
        "(hosts, ok, failed, unreachable, changed, slowest, duration_ms); it is ok only if every host succeeded, else `partial` (exit 9). " +
        "With `--format ndjson` each host's envelope is printed as it finishes and the fleet envelope follows (its `hosts` is then null).\n\n" +
        "Config file `[ssh]`: `config` (an ssh_config passed as -F), `connect_timeout`, `control_persist`, `command_timeout` (default 10m for remote stages without --timeout), " +
        "`hostkey`, `inventory`, `binary` (the resh build to copy to hosts of this machine's architecture; default: this executable), " +
        "`binaries` (a table, `aarch64 = \"PATH\"` or `x86_64 = \"PATH\"`: the build for hosts of another architecture; default: `resh-linux-arm64` or `resh-linux-x64` " +
        "next to this executable, or `../resh-RID/resh` as scripts/build-native.sh leaves it; a host whose architecture has no build, or that is neither, answers `unsupported`), `keep_builds`.";

    public static HandleInfo Create(HandleRegistry registry) => new("ssh",
        "Remote and fleet execution over the user's OpenSSH: any stage on one host or many, plus exec, file transfer, host keys and authorized keys.",
        "[user@]HOST[:port] — a Host alias from ~/.ssh/config, a name or an address; many hosts as a,b,c, web[01:20] or @group; " +
        "then /STAGE to run a stage there (ssh://box/system://.hostname).",
        [
            Verbs.SshExec.Verb,
            Verbs.SshUpload.Verb,
            Verbs.SshDownload.Verb,
            Verbs.SshTest.Verb,
            Verbs.SshHostKeyGet.Verb,
            Verbs.SshHostKeyTrust.Verb,
            Verbs.SshKeysList.Verb,
            Verbs.SshKeyAdd.Verb,
            Verbs.SshKeyRemove.Verb,
            Verbs.SshConfigGet.Verb,
            Verbs.SshTunnel.Verb,
        ])
    {
        Resolver = request => RemoteStage.Resolve(registry, request),
        CompleteTarget = partial => Hosts.HostResolver.Completions(partial),
        Notes = Notes,
        RunsPrograms = true, // exec, and nested stages that run resh (any verb) on the host
    };
}
