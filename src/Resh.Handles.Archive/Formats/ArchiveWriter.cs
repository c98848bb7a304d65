using Resh.Handles.Archive.Formats;

namespace Resh.Handles.Archive.Formats;

/// <summary>Metadata as it will be stored (deterministic mode replaces times and owners).</summary>
public sealed record StoredMeta(DateTimeOffset Mtime, int Uid, int Gid, string? UserName, string? GroupName);

/// <summary>Writes entries into a new archive; <see cref="Finish"/> completes it.</summary>
public abstract class ArchiveWriter : IDisposable
{
    /// <summary>Adds one entry; <paramref name="data"/> is the file's content for files.</summary>
    public abstract void Add(ArchiveItem item, Stream? data);
    public abstract void Finish();
    public abstract void Dispose();
    /// <summary>Entry kinds the format cannot hold are skipped and reported.</summary>
    public virtual bool Supports(ItemKind kind) => true;
}
