using Resh.Core.Model;

namespace Resh.Core.Registry;

/// <summary>The handles this build knows, registered explicitly at start-up (no reflection scanning).</summary>
public sealed class HandleRegistry
{
    readonly List<HandleInfo> _handles = [];

    public HandleRegistry Add(HandleInfo handle)
    {
        if (Find(handle.Scheme) is not null) throw new InvalidOperationException($"Scheme {handle.Scheme}:// registered twice.");
        _handles.Add(handle);
        return this;
    }

    public HandleInfo? Find(string scheme)
    {
        foreach (var h in _handles) if (h.Scheme == scheme) return h;
        return null;
    }

    public IReadOnlyList<HandleInfo> All => _handles;

    /// <summary>Handles shown to users, sorted by scheme.</summary>
    public IEnumerable<HandleInfo> Visible => _handles.Where(h => !h.Hidden).OrderBy(h => h.Scheme, StringComparer.Ordinal);

    /// <summary>The built-in <c>resh</c> handle whose verbs are the top-level commands (help, schema, batch...).</summary>
    public HandleInfo? Meta => Find(MetaScheme);

    public const string MetaScheme = "resh";
}
