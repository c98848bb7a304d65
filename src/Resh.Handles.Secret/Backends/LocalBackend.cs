using Resh.Core.Execution;
using Resh.Core.Secrets;
using Resh.Handles.Secret.Keystore;

namespace Resh.Handles.Secret.Backends;

/// <summary>The embedded default: the encrypted keystore in the state directory.</summary>
internal sealed class LocalBackend(ReshRuntime runtime) : ISecretBackend
{
    LocalKeystore? _store;
    bool _opened;

    public string Name => "local";
    public bool Writable => true;
    public KeystorePaths Paths { get; } = KeystorePaths.For(runtime);

    /// <summary>The keystore, opened once per call; null when none exists yet.</summary>
    public LocalKeystore? Store
    {
        get
        {
            if (!_opened) { _store = LocalKeystore.Open(runtime, Paths); _opened = true; }
            return _store;
        }
    }

    public SecretMetadata? Describe(string name) => Store?.Find(name) is { } e ? Metadata(e) : null;

    public IReadOnlyList<SecretMetadata> List(string prefix) =>
        Store?.Body.Entries.Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal)).Select(Metadata).ToList() ?? [];

    public (SecretValue Value, int? Version)? Read(string name, int? version, CancellationToken cancellation)
    {
        var store = Store;
        if (store?.Find(name) is not { } entry || entry.Version(version ?? entry.Current) is not { } v) return null;
        return (store.Read(entry, v), v.Version);
    }

    public IReadOnlyList<SecretVersionMetadata> Versions(string name) =>
        Store?.Find(name) is { } e ? e.Versions.Select(v => new SecretVersionMetadata(v.Version, v.Created, v.Version == e.Current)).ToList() : [];

    public static SecretMetadata Metadata(KeystoreEntry e) =>
        new(e.Name, e.Current, e.Versions.Count, e.Created, e.Updated, new SortedDictionary<string, string>(e.Tags, StringComparer.Ordinal));
}
