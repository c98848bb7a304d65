using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;
using Resh.Handles.Ssh.Fleet;

namespace Resh.Handles.Ssh.Verbs;

public static class SshKeyAdd
{
    static readonly Arg<string?> Key = Arg.String("key", "The public key line (type base64 [comment]), e.g. key=@~/.ssh/id_ed25519.pub.", required: true,
        examples: ["@id_ed25519.pub"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("key.add", Effect.Mutate,
        "Allow a public key to log in to the host (append it to authorized_keys unless present; idempotent).",
        [Key, SshKeysList.File, .. SshArgs.Connection], () => SshJson.Default.KeyChangeResult, RunAsync,
        examples: [new("'ssh://box.key.add(key=\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBUpvqoMK6O2TpHqC4wHjaxW0y6Mm0vOq0bvu2ZKwB3h ci@build\")'", "Idempotent: a second run is unchanged (key=@~/.ssh/id_ed25519.pub reads a file).")],
        notes: "A key counts as present when its type and base64 blob match, whatever its comment or options. The file is replaced atomically (temp file, mv) with mode 0600, and only if nobody changed it since it was read. A file that is a symlink is refused with `conflict` naming its target (pass that as file=): resh neither replaces the link nor writes through it.");

    static ValueTask<Outcome<KeyChangeResult>> RunAsync(VerbContext ctx) => HostVerb.RunAsync(ctx, SshJson.Default.KeyChangeResult, async (call, host) =>
    {
        var text = ctx.Get(Key)!.Trim();
        if (AuthorizedKeys.LooksPrivate(text))
            return ReshError.Usage("That is a private key; key.add takes the public half (the .pub file).", "Pass key=@~/.ssh/id_ed25519.pub.");
        var key = AuthorizedKeys.ParseLine(text);
        if (key is null || text.Contains('\n'))
            return ReshError.Usage("key is not one public key line (type base64 [comment]).", "Example: key=@~/.ssh/id_ed25519.pub");
        var file = ctx.Get(SshKeysList.File)!;
        var (_, content) = await AuthorizedKeys.ReadAsync(call.Client, host, file).ConfigureAwait(false);
        var lines = AuthorizedKeys.Parse(content);
        if (lines.Any(l => l.Type == key.Type && l.Blob == key.Blob))
            return Outcome.Unchanged(new KeyChangeResult(host.Alias, file, [key.Info], lines.Count, null));
        var updated = new StringBuilder(content);
        if (updated.Length > 0 && updated[^1] != '\n') updated.Append('\n');
        updated.Append(key.Text).Append('\n');
        var diff = Diff.Unified(content, updated.ToString(), file);
        if (!ctx.DryRun) await AuthorizedKeys.WriteAsync(call.Client, host, file, content, updated.ToString()).ConfigureAwait(false);
        return Outcome.Changed(new KeyChangeResult(host.Alias, file, [key.Info], lines.Count + 1, diff));
    });
}
