using Resh.Core.Model;

namespace Resh.Core.Registry;

/// <summary>
/// Handles that are not compiled in (plugin:// installs them). The registry asks only for a scheme no built-in
/// handle has, or when it lists every handle (help, schema, docs, completion, MCP tools), so a call to a built-in
/// handle never reads the plugin store.
/// </summary>
public interface IExternalHandles
{
    /// <summary>The handle for <paramref name="scheme"/>, or null when none is installed and enabled.</summary>
    HandleInfo? Find(string scheme);

    /// <summary>Every enabled external handle that loads.</summary>
    IReadOnlyList<HandleInfo> All();

    /// <summary>Why <paramref name="scheme"/> is not available when something is known about it (a disabled or broken plugin), else null.</summary>
    string? UnknownHint(string scheme);

    /// <summary>
    /// A short text that changes whenever the external handles may have changed (an install, an update, enable, disable,
    /// removal): caches of what the registry lists (MCP's tools/list pages) include it in their key.
    /// </summary>
    string Fingerprint();
}
