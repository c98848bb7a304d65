namespace Resh.Handles.Config.Kv;

/// <summary>One key of a key-value store: its text, the revision that last changed it, the one that created it, and how many times it was written.</summary>
internal sealed record KvEntry(string Key, string Value, long Revision, long CreateRevision, long Version);

/// <summary>A change seen by watch: <c>put</c> (Value set) or <c>delete</c> (Value null), at Revision.</summary>
internal sealed record KvEvent(string Type, string Key, string? Value, long Revision);

/// <summary>What a put or delete did: the entry before, the store revision the write made (0: nothing written), whether it changed anything.</summary>
internal sealed record KvWrite(KvEntry? Previous, long Revision, bool Changed);

internal sealed record KvListing(IReadOnlyList<KvEntry> Entries, bool More, long Revision);

/// <summary>
/// A key-value store config:// speaks to (etcd, or the embedded store in the state directory). Writes take an
/// expected revision for compare-and-set: null (whatever is there), 0 (only if absent), N (only if the key was last
/// changed at N); a mismatch is <c>conflict</c> naming the current revision, and nothing is written.
/// </summary>
internal interface IKvStore
{
    /// <summary>etcd or embedded.</summary>
    string Backend { get; }

    Task<KvEntry?> GetAsync(string key, CancellationToken ct);

    Task<KvWrite> PutAsync(string key, string value, long? expected, bool dryRun, CancellationToken ct);

    Task<KvWrite> DeleteAsync(string key, long? expected, bool dryRun, CancellationToken ct);

    /// <summary>Keys starting with <paramref name="prefix"/>, in key order, at most <paramref name="limit"/>.</summary>
    Task<KvListing> ListAsync(string prefix, int limit, CancellationToken ct);

    /// <summary>
    /// Calls <paramref name="onEvent"/> for each change under <paramref name="prefix"/> after revision
    /// <paramref name="after"/> (null: from now) until it returns false or <paramref name="ct"/> ends; returns the last revision seen.
    /// </summary>
    Task<long> WatchAsync(string prefix, long? after, Func<KvEvent, bool> onEvent, CancellationToken ct);
}
