using System.Text.Json.Nodes;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Plugin;

/// <summary>A plugin fetched from somewhere (an archive, a git URL, a registry) into a directory install can read.</summary>
public interface IFetchedPlugin : IAsyncDisposable
{
    /// <summary>A directory holding plugin.json (a temporary one for archives, git and registries; `from` itself for a directory).</summary>
    string Directory { get; }
    /// <summary>Where it came from, recorded in the store's state for update.</summary>
    JsonObject Source { get; }
    /// <summary>The name the source promised (a registry entry's), checked against the manifest; null when none.</summary>
    string? ExpectedName { get; }
}

/// <summary>
/// The seam for install sources other than a local directory (src/Resh.Handles/Plugin/Sources). The CLI's catalog
/// calls the sources' registration once, before any handle is built; without it install takes directories only.
/// </summary>
public static class PluginSourcesHook
{
    /// <summary>Fetches <c>from</c> (archive, git+URL, registry:NAME...) or returns null when <c>from</c> is a plain directory.</summary>
    public static Func<VerbContext, string, bool, CancellationToken, Task<IFetchedPlugin?>>? Fetch { get; set; }

    /// <summary>More arguments of install (registry=, key=, version=), appended to its declaration.</summary>
    public static ArgInfo[] InstallArgs { get; set; } = [];

    /// <summary>More verbs of plugin:// (update, search), appended to the handle.</summary>
    public static VerbInfo[] Verbs { get; set; } = [];
}
