using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Handles.Ssh.Fleet;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh.Verbs;

public static class SshHostKeyTrust
{
    static readonly Arg<string?> Fingerprint = Arg.String("fingerprint", "Trust only if the host presents this key (SHA256:...), as checked out of band.",
        examples: ["SHA256:CXMiwajsJll3L+KLdOaGHvG8GDPEr2H+BRq8fm7rkhc"]);
    static readonly Arg<bool> Replace = Arg.Bool("replace", "Remove the host's older keys first (after a reinstall); without it a changed key is a conflict.");

    public static readonly VerbInfo Verb = VerbInfo.Define("hostkey.trust", Effect.Mutate,
        "Add the key a host presents to known_hosts (only when asked; idempotent).",
        [Fingerprint, Replace, .. SshArgs.Connection], () => SshJson.Default.HostKeyTrustResult, RunAsync,
        examples:
        [
            new("'ssh://box.hostkey.trust(fingerprint=SHA256:CXMiwajsJll3L+KLdOaGHvG8GDPEr2H+BRq8fm7rkhc)'", "Trust box after checking its fingerprint."),
            new("'ssh://box.hostkey.trust(replace=true)'", "Accept a new key after a reinstall."),
        ],
        notes: "Writes the first UserKnownHostsFile (hashed when HashKnownHosts is yes) atomically. A host whose key is already trusted is unchanged.");

    static ValueTask<Outcome<HostKeyTrustResult>> RunAsync(VerbContext ctx) => HostVerb.RunAsync(ctx, SshJson.Default.HostKeyTrustResult, async (call, host) =>
    {
        var state = await HostKeyState.LoadAsync(call.Client, host).ConfigureAwait(false);
        var file = state.Files.FirstOrDefault()
            ?? throw ReshError.Usage($"ssh has no UserKnownHostsFile for {host.Alias}.", "Set UserKnownHostsFile in ~/.ssh/config.").ToException();
        var info = state.Keys.Select(k => new HostKeyInfo(k.Type, k.Fingerprint, k.Key)).ToArray();
        var keys = state.Keys.ToList();
        if (ctx.Get(Fingerprint) is { } expected)
        {
            keys = keys.Where(k => k.Fingerprint == expected || k.Fingerprint == "SHA256:" + expected).ToList();
            if (keys.Count == 0)
                return ReshError.Conflict($"{host.Alias} presents {string.Join(", ", info.Select(k => k.Fingerprint))}, not {expected}; nothing was trusted.",
                    "Do not trust this key until the fingerprint is explained (wrong host, or a machine in the middle).",
                    new JsonObject { ["host"] = host.Alias, ["expected"] = expected, ["presented"] = new JsonArray(info.Select(k => (JsonNode?)k.Fingerprint).ToArray()) });
        }
        if (state.Status == "trusted")
            return Outcome.Unchanged(new HostKeyTrustResult(host.Alias, state.Name, file, state.Status, [], false));
        if (state.Status == "changed" && !ctx.Get(Replace))
            return ReshError.Conflict($"known_hosts holds another key for {host.Alias}; its key has changed.",
                "If the change is expected, compare the fingerprint out of band and pass replace=true.",
                new JsonObject
                {
                    ["host"] = host.Alias, ["known_hosts_name"] = state.Name,
                    ["presented"] = new JsonArray(info.Select(k => (JsonNode?)k.Fingerprint).ToArray()),
                    ["known"] = new JsonArray(state.Known.Select(e => (JsonNode?)$"{e.File}:{e.Line} {e.Type} {HostKeys.Fingerprint(e.Key)}").ToArray()),
                });

        var added = keys.Select(k => new HostKeyInfo(k.Type, k.Fingerprint, k.Key)).ToArray();
        var replaced = state.Status == "changed";
        if (ctx.DryRun) return Outcome.Changed(new HostKeyTrustResult(host.Alias, state.Name, file, state.Status, added, replaced));

        var current = System.IO.File.Exists(file) ? await System.IO.File.ReadAllTextAsync(file, ctx.Cancellation).ConfigureAwait(false) : "";
        if (replaced) current = KnownHosts.WithoutHost(current, state.Name) ?? current;
        var sb = new StringBuilder(current);
        if (sb.Length > 0 && sb[^1] != '\n') sb.Append('\n');
        foreach (var k in keys) sb.Append(KnownHosts.Line(state.Name, k, state.Hashed)).Append('\n');
        var dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        if (!Directory.Exists(dir)) ReshPaths.EnsurePrivateDir(dir);
        var mode = System.IO.File.Exists(file) ? System.IO.File.GetUnixFileMode(file) : (UnixFileMode)0x180;
        AtomicFile.Write(file, Encoding.UTF8.GetBytes(sb.ToString()), mode);
        return Outcome.Changed(new HostKeyTrustResult(host.Alias, state.Name, file, state.Status, added, replaced));
    });
}
