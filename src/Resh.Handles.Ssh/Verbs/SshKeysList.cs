using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Ssh.Fleet;

namespace Resh.Handles.Ssh.Verbs;

public static class SshKeysList
{
    internal static readonly Arg<string?> File = Arg.String("file", "The authorized_keys file on the host, relative to the login directory or absolute.", AuthorizedKeys.DefaultFile);

    public static readonly VerbInfo Verb = VerbInfo.Define("keys.list", Effect.Read,
        "List the public keys allowed to log in to the host (its authorized_keys).",
        [File, .. SshArgs.Connection], () => SshJson.Default.KeysListResult, RunAsync,
        examples: [new("ssh://box.keys.list", "Type, fingerprint, comment and options of each key.")]);

    static ValueTask<Outcome<KeysListResult>> RunAsync(VerbContext ctx) => HostVerb.RunAsync(ctx, SshJson.Default.KeysListResult, async (call, host) =>
    {
        var file = ctx.Get(File)!;
        var (exists, content) = await AuthorizedKeys.ReadAsync(call.Client, host, file).ConfigureAwait(false);
        return new KeysListResult(host.Alias, file, exists, AuthorizedKeys.Parse(content).Select(l => l.Info).ToArray());
    });
}
