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

    /// <summary>
    /// Handles installed at run time (plugins). Asked only for a scheme no built-in has and by the listings, so a
    /// call to a built-in never reads the plugin store.
    /// </summary>
    public IExternalHandles? External { get; set; }

    public HandleInfo? Find(string scheme)
    {
        foreach (var (s, h) in _handles) if (s == scheme) return h.Value;
        return External?.Find(scheme);
    }

    /// <summary>A built-in scheme (plugins may not take these).</summary>
    public bool IsBuiltIn(string scheme) => _handles.Any(h => h.Scheme == scheme);

    public bool Knows(string scheme) => IsBuiltIn(scheme) || External?.Find(scheme) is not null;

    /// <summary>A scheme an installed plugin serves (not a built-in): server surfaces hold plugins to stricter rules.</summary>
    public bool IsPlugin(string scheme) => !IsBuiltIn(scheme) && External?.Find(scheme) is not null;

    /// <summary>Changes whenever the external handles may have changed (see <see cref="IExternalHandles.Fingerprint"/>); empty without any.</summary>
    public string ExternalFingerprint => External?.Fingerprint() ?? "";

    /// <summary>Why an unknown scheme is unknown, when the external handles know (a disabled plugin), else null.</summary>
    public string? UnknownHint(string scheme) => IsBuiltIn(scheme) ? null : External?.UnknownHint(scheme);

    /// <summary>Every handle, built: the built-ins, then the external handles whose schemes no built-in has.</summary>
    public IReadOnlyList<HandleInfo> All
    {
        get
        {
            var all = _handles.Select(h => h.Handle.Value).ToList();
            if (External is { } external)
                foreach (var h in external.All())
                    if (!IsBuiltIn(h.Scheme)) all.Add(h);
            return all;
        }
    }

    /// <summary>Handles shown to users, sorted by scheme.</summary>
    public IEnumerable<HandleInfo> Visible => All.Where(h => !h.Hidden).OrderBy(h => h.Scheme, StringComparer.Ordinal);

    /// <summary>The built-in <c>resh</c> handle whose verbs are the top-level commands (help, schema, batch...).</summary>
    public HandleInfo? Meta => Find(MetaScheme);

    public const string MetaScheme = "resh";
}
