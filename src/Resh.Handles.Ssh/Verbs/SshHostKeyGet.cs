using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Ssh.Fleet;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh.Verbs;

public static class SshHostKeyGet
{
    public static readonly VerbInfo Verb = VerbInfo.Define("hostkey.get", Effect.Read,
        "Fetch the key a host presents, its fingerprint, and whether known_hosts trusts it.",
        [.. SshArgs.Connection], () => SshJson.Default.HostKeyGetResult, RunAsync,
        examples: [new("ssh://box.hostkey.get", "Compare the fingerprint with the one the host's admin gives you.")],
        notes: "The key is fetched by ssh itself (so ProxyJump, Port and HostKeyAlias apply) with every authentication method off: none of your keys is offered to the host.");

    static ValueTask<Outcome<HostKeyGetResult>> RunAsync(VerbContext ctx) => HostVerb.RunAsync(ctx, SshJson.Default.HostKeyGetResult, async (call, host) =>
    {
        var state = await HostKeyState.LoadAsync(call.Client, host).ConfigureAwait(false);
        return new HostKeyGetResult(host.Alias, state.Name, state.Status, state.Keys.Select(k => new HostKeyInfo(k.Type, k.Fingerprint, k.Key)).ToArray(),
            state.Files.ToArray());
    });
}

/// <summary>A host's presented keys against what the known_hosts files hold for it.</summary>
public sealed record HostKeyState(string Name, IReadOnlyList<HostKey> Keys, IReadOnlyList<KnownHosts.Entry> Known, IReadOnlyList<string> Files,
    bool Hashed, string Status)
{
    public static async Task<HostKeyState> LoadAsync(SshClient client, HostTarget host)
    {
        var effective = await client.EffectiveAsync(host).ConfigureAwait(false);
        var name = KnownHosts.NameFor(effective);
        var files = effective.All("userknownhostsfile").Concat(effective.All("globalknownhostsfile")).Where(f => f != "/dev/null").ToList();
        var keys = await HostKeys.FetchAsync(client, host, client.Settings.ConnectTimeout + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        var known = KnownHosts.Find(files, name);
        var status = known.Count == 0 ? "unknown"
            : keys.Any(k => known.Any(e => e.Type == k.Type && e.Key == k.Key)) ? "trusted" : "changed";
        return new HostKeyState(name, keys, known, effective.All("userknownhostsfile"), effective.Get("hashknownhosts") == "yes", status);
    }
}
