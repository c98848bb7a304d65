namespace Resh.Core.Execution;

/// <summary>
/// Group commit for `resh batch`: a verb declared <see cref="Model.VerbInfo.DefersSync"/> (mq's publish) writes its data and
/// registers the fsync here instead of running it, keyed by file, so consecutive lines that write one file share one fsync.
/// The runner holds those lines' envelopes until <see cref="Flush"/> ran every pending sync: no line reports ok before its
/// data is on disk. If a sync fails, every held line that deferred one becomes a failure. A sync that learns the fate of
/// each line on its own (a server's reply per message) reports a line's failure with <see cref="FailLine"/>: only that
/// line fails, with that error.
/// </summary>
public sealed class DeferredSync
{
    readonly Dictionary<string, Action> _pending = new(StringComparer.Ordinal);
    readonly Dictionary<long, Errors.ReshError> _lineFailures = [];

    /// <summary>How many syncs were registered so far (a line that raised it deferred one).</summary>
    public long Registered { get; private set; }

    public bool Pending => _pending.Count > 0;

    /// <summary>
    /// Leaves <paramref name="sync"/> for later; a second one with the same key is already covered by the first. Returns the
    /// registration's number (the line's, for <see cref="FailLine"/>).
    /// </summary>
    public long Add(string key, Action sync)
    {
        _pending.TryAdd(key, sync);
        return ++Registered;
    }

    /// <summary>Called by a sync: the line that made registration <paramref name="registration"/> failed with <paramref name="error"/>.</summary>
    public void FailLine(long registration, Errors.ReshError error) => _lineFailures[registration] = error;

    /// <summary>The failure a sync reported for <paramref name="registration"/>'s line, if any (taken: asked once).</summary>
    public Errors.ReshError? TakeLineFailure(long registration) => _lineFailures.Remove(registration, out var e) ? e : null;

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
