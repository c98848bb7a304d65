namespace Resh.Core.Execution;

/// <summary>
/// Group commit for `resh batch`: a verb declared <see cref="Model.VerbInfo.DefersSync"/> (mq's publish) writes its data and
/// registers the fsync here instead of running it, keyed by file, so consecutive lines that write one file share one fsync.
/// The runner holds those lines' envelopes until <see cref="Flush"/> ran every pending sync: no line reports ok before its
/// data is on disk. If a sync fails, every held line that deferred one becomes a failure.
/// </summary>
public sealed class DeferredSync
{
    readonly Dictionary<string, Action> _pending = new(StringComparer.Ordinal);

    /// <summary>How many syncs were registered so far (a line that raised it deferred one).</summary>
    public long Registered { get; private set; }

    public bool Pending => _pending.Count > 0;

    /// <summary>Leaves <paramref name="sync"/> for later; a second one with the same key is already covered by the first.</summary>
    public void Add(string key, Action sync)
    {
        _pending.TryAdd(key, sync);
        Registered++;
    }

    /// <summary>Runs every pending sync; the first failure, if any (the rest still run).</summary>
    public Exception? Flush()
    {
        Exception? first = null;
        foreach (var sync in _pending.Values)
        {
            try { sync(); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { first ??= ex; }
        }
        _pending.Clear();
        return first;
    }
}
