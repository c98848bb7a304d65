using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Secret.Verbs;

public static class SecretSet
{
    static readonly Arg<SecretRef?> Value = Arg.Secret("value",
        "The value: @- (stdin; without value= on a terminal, a no-echo prompt), env:VAR, file:PATH (first line), @PATH (whole file), secret:OTHER, or a literal (warned).");

    public static readonly VerbInfo Verb = VerbInfo.Define("set", Effect.Mutate,
        "Store a secret; a different value becomes a new version and the previous one is kept.",
        [Value, SecretArgs.Tags, .. SecretArgs.BackendArgs], () => SecretJson.Default.SecretWriteResult, Run,
        examples:
        [
            new("secret://db/app.set value=@-", "From stdin: printf 's3cret' | resh secret://db/app.set value=@- (a no-echo prompt on a terminal)."),
            new("secret://db/app.set value=env:DB_PASSWORD tags=env=prod", "From an environment variable, with a tag."),
            new("secret://tls/key.set value=@/etc/ssl/private/key.pem", "A whole file (one trailing newline dropped)."),
        ],
        notes: "Values shorter than 4 characters are refused (`usage`): output masking cannot protect them. Setting the value a secret already has changes nothing (changed: false). The local keystore keeps the last 10 versions ([secret] max_versions).");

    static Outcome<SecretWriteResult> Run(VerbContext ctx)
    {
        var name = SecretArgs.Name(ctx);
        var backend = SecretArgs.Writable(ctx);
        var value = ctx.GetSecret(Value) ?? Prompt(ctx);
        // Output masking (SecretRedactor) skips values this short: masking every "ab" would destroy the output it protects.
        // GitHub Actions masks any registered value and gets noise from short ones; refusing them here keeps the promise
        // "a stored secret is masked everywhere" true instead.
        if ((value.IsText ? value.Reveal().Length : value.Length) < SecretRedactor.MinLength)
            return ReshError.Usage($"The value is shorter than {SecretRedactor.MinLength} characters; a secret this short cannot be masked in output, so it is not stored.",
                $"Use a longer value, or let resh make one: resh secret://{name}.generate");
        var tags = SecretArgs.TagsOf(ctx);
        var keep = KeystoreChange.MaxVersions(ctx);
        return KeystoreChange.Run(ctx, backend, store =>
        {
            var entry = store.Find(name);
            var created = entry is null;
            entry ??= store.AddEntry(name);
            int? previous = created ? null : entry.Current;
            bool changed = created;
            if (created || !KeystoreChange.IsCurrent(store, entry, value))
            {
                store.AddVersion(entry, value, keep);
                entry.Generator = null;
                changed = true;
            }
            if (tags is not null && !SameTags(entry.Tags, tags))
            {
                entry.Tags = tags;
                entry.Updated = Keystore.LocalKeystore.Now();
                changed = true;
            }
            return (new SecretWriteResult(name, "local", entry.Current, previous, created, null, null, KeystoreChange.Tags(entry)), changed);
        });
    }

    static SecretValue Prompt(VerbContext ctx)
    {
        if (!ctx.Runtime.Stdin.IsTerminal)
            throw ReshError.Usage("secret.set needs value=: @- (stdin), env:VAR, file:PATH or secret:OTHER.", "Example: printf %s VALUE | resh secret://db/app.set value=@-").ToException();
        var value = SecretResolver.FromInput(ctx.Runtime.Stdin.ReadSecret("value=", "value"));
        return value.Length > 0 ? value : throw ReshError.Usage("The value is empty; nothing was stored.", null).ToException();
    }

    static bool SameTags(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
