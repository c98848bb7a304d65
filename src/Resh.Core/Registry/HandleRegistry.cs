using Resh.Core.Model;

namespace Resh.Core.Registry;

/// <summary>
/// The handles this build knows, registered explicitly at start-up (no reflection scanning). Each is
/// registered as a factory and built on first use: a call touches only the declarations of the handle
/// it names, so start-up does not grow with the number of handles. Listing commands build them all.
/// </summary>
public sealed class HandleRegistry
{
    readonly List<(string Scheme, Lazy<HandleInfo> Handle)> _handles = [];

    public HandleRegistry Add(string scheme, Func<HandleInfo> factory)
    {
        if (_handles.Any(h => h.Scheme == scheme)) throw new InvalidOperationException($"Scheme {scheme}:// registered twice.");
        _handles.Add((scheme, new Lazy<HandleInfo>(() =>
        {
            var handle = factory();
            if (handle.Scheme != scheme)
                throw new InvalidOperationException($"Handle registered as {scheme}:// declares itself {handle.Scheme}://.");
            return handle;
        })));
        return this;
    }

    public HandleRegistry Add(HandleInfo handle) => Add(handle.Scheme, () => handle);

    public HandleInfo? Find(string scheme)
    {
        foreach (var (s, h) in _handles) if (s == scheme) return h.Value;
        return null;
    }

    public bool Knows(string scheme) => _handles.Any(h => h.Scheme == scheme);

    /// <summary>Every handle, built.</summary>
    public IReadOnlyList<HandleInfo> All => _handles.Select(h => h.Handle.Value).ToList();

    /// <summary>Handles shown to users, sorted by scheme.</summary>
    public IEnumerable<HandleInfo> Visible => All.Where(h => !h.Hidden).OrderBy(h => h.Scheme, StringComparer.Ordinal);

    /// <summary>The built-in <c>resh</c> handle whose verbs are the top-level commands (help, schema, batch...).</summary>
    public HandleInfo? Meta => Find(MetaScheme);

    public const string MetaScheme = "resh";
}
