using System.Text.Json.Nodes;
using Resh.Core.Platform;

namespace Resh.Handles.Plugin.Sources;

/// <summary>
/// A plugin made available as a directory by a source: the caller installs from <see cref="Directory"/>, records
/// <see cref="Source"/> in the store's state (so update can re-resolve it), and disposes this, which removes the
/// temporary directory (archives, clones and downloads; a local directory source is left alone).
/// </summary>
public sealed class PluginFetch : IFetchedPlugin, IDisposable
{
    readonly TempPath? _temp;

    public PluginFetch(string directory, JsonObject source, string? expectedName, string? version, TempPath? temp)
    {
        Directory = directory;
        Source = source;
        ExpectedName = expectedName;
        Version = version;
        _temp = temp;
    }

    /// <summary>The directory that holds plugin.json.</summary>
    public string Directory { get; }

    /// <summary>Where it came from: kind (directory, archive, git, registry), from, and per kind url, ref, commit, registry, name, version, sha256, key.</summary>
    public JsonObject Source { get; }

    /// <summary>The name the plugin must have (a registry entry's name), or null.</summary>
    public string? ExpectedName { get; }

    /// <summary>The version the source promised (a registry entry's), or null.</summary>
    public string? Version { get; }

    public void Dispose() => _temp?.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
