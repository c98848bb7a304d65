using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;
using Resh.Handles.Ssh.Fleet;

namespace Resh.Handles.Ssh.Verbs;

public static class SshKeyRemove
{
    static readonly Arg<string?> Key = Arg.String("key", "The public key line to remove, or its fingerprint (SHA256:...).", required: true,
        examples: ["SHA256:CXMiwajsJll3L+KLdOaGHvG8GDPEr2H+BRq8fm7rkhc"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("key.remove", Effect.Destroy,
        "Stop a public key from logging in to the host (remove it from authorized_keys; idempotent).",
        [Key, SshKeysList.File, .. SshArgs.Connection], () => SshJson.Default.KeyChangeResult, RunAsync,
        examples: [new("'ssh://box.key.remove(key=SHA256:CXMiwajsJll3L+KLdOaGHvG8GDPEr2H+BRq8fm7rkhc)'", "By fingerprint.")],
        notes: "Every line holding the key is removed, whatever its options or comment; comments and other lines are kept as they are.");

    static ValueTask<Outcome<KeyChangeResult>> RunAsync(VerbContext ctx) => HostVerb.RunAsync(ctx, SshJson.Default.KeyChangeResult, async (call, host) =>
    {
        var text = ctx.Get(Key)!.Trim();
        if (AuthorizedKeys.LooksPrivate(text))
            return ReshError.Usage("That is a private key; key.remove takes the public key line or its fingerprint.", null);
        Func<AuthorizedKeys.Line, bool> matches;
        if (text.StartsWith("SHA256:", StringComparison.Ordinal)) matches = l => l.Info.Fingerprint == text;
        else if (AuthorizedKeys.ParseLine(text) is { } key) matches = l => l.Type == key.Type && l.Blob == key.Blob;
        else return ReshError.Usage("key is neither a public key line nor a SHA256: fingerprint.", "Example: key=SHA256:... (resh ssh://HOST.keys.list shows them)");

        var file = ctx.Get(SshKeysList.File)!;
        var (exists, content) = await AuthorizedKeys.ReadAsync(call.Client, host, file).ConfigureAwait(false);
        var lines = AuthorizedKeys.Parse(content);
        var removed = lines.Where(matches).ToList();
        if (!exists || removed.Count == 0) return Outcome.Unchanged(new KeyChangeResult(host.Alias, file, [], lines.Count, null));
        var kept = new StringBuilder();
        foreach (var raw in content.Split('\n').SkipLast(content.EndsWith('\n') ? 1 : 0))
        {
            if (AuthorizedKeys.ParseLine(raw.Trim()) is { } l && !raw.TrimStart().StartsWith('#') && matches(l)) continue;
            kept.Append(raw).Append('\n');
        }
        var diff = Diff.Unified(content, kept.ToString(), file);
        if (!ctx.DryRun) await AuthorizedKeys.WriteAsync(call.Client, host, file, content, kept.ToString()).ConfigureAwait(false);
        return Outcome.Changed(new KeyChangeResult(host.Alias, file, removed.Select(r => r.Info).ToArray(), lines.Count - removed.Count, diff));
    });
}
