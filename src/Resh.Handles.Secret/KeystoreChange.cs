using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Secrets;
using Resh.Handles.Secret.Backends;
using Resh.Handles.Secret.Keystore;

namespace Resh.Handles.Secret;

/// <summary>
/// Read-modify-write of the local keystore for the verbs that change it: under the keystore lock, the
/// change is planned on the open keystore and saved only when it changed something and this is not a
/// dry run (a dry run on a machine without a keystore creates nothing, not even the key file).
/// </summary>
internal static class KeystoreChange
{
    public const int DefaultMaxVersions = 10;

    public static Outcome<T> Run<T>(VerbContext ctx, LocalBackend backend, Func<LocalKeystore, (T Result, bool Changed)> change)
    {
        var paths = backend.Paths;
        if (ctx.DryRun)
        {
            var store = backend.Store ?? LocalKeystore.InMemory(paths);
            var (planned, wouldChange) = change(store);
            return Outcome.Changed(planned, wouldChange);
        }
        PrivateFiles.EnsureDirectory(paths.Directory);
        using (PrivateFiles.Lock(paths.Lock, ctx.Cancellation))
        {
            var store = LocalKeystore.OpenOrCreate(ctx.Runtime, paths);
            var (result, changed) = change(store);
            if (changed) store.Save();
            return Outcome.Changed(result, changed);
        }
    }

    public static int MaxVersions(VerbContext ctx) =>
        ctx.Runtime.Config.Section("secret")?["max_versions"] is JsonValue v && v.TryGetValue<long>(out var n) && n is >= 1 and <= 1000 ? (int)n : DefaultMaxVersions;

    /// <summary>True when the entry's current value is byte for byte <paramref name="value"/>.</summary>
    public static bool IsCurrent(LocalKeystore store, KeystoreEntry entry, SecretValue value) =>
        entry.Version(entry.Current) is { } v && store.Read(entry, v).SameAs(value);

    public static IReadOnlyDictionary<string, string> Tags(KeystoreEntry e) => new SortedDictionary<string, string>(e.Tags, StringComparer.Ordinal);

    public static ReshException NotFound(string name, string backend) =>
        ReshError.NotFound($"There is no secret {name} in the {backend} backend.", "List them: resh secret://.list",
            new JsonObject { ["name"] = name, ["backend"] = backend }).ToException();
}
