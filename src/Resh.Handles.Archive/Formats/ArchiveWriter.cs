namespace Resh.Handles.Archive.Formats;

/// <summary>Writes entries into a new archive; <see cref="Finish"/> completes it.</summary>
public abstract class ArchiveWriter : IDisposable
{
    /// <summary>Adds one entry; <paramref name="data"/> is the file's content for files (the regions only, for a sparse file).</summary>
    public abstract void Add(ArchiveItem item, Stream? data);
    public abstract void Finish();
    public abstract void Dispose();
    /// <summary>Entry kinds the format cannot hold are skipped and reported.</summary>
    public virtual bool Supports(ItemKind kind) => true;
    /// <summary>True when the format stores holes (tar); others get sparse files whole.</summary>
    public virtual bool SupportsSparse => false;
    /// <summary>True when the format stores extended attributes and ACLs (tar pax records).</summary>
    public virtual bool SupportsXattrs => false;
}
