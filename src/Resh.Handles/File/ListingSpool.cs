using System.Collections;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// Holds the entries of a listing in the order they were found, in constant memory: the first few
/// thousand in a list, the rest spilled to an anonymous temporary file (O_TMPFILE: nothing to clean up,
/// even after a kill) and read back one at a time while the envelope is written. So
/// <c>file.list recursive=true</c> of a tree with millions of entries needs the memory of one directory,
/// not of the tree.
/// </summary>
internal sealed class ListingSpool
{
    const int InMemory = 4096;
    readonly List<Listed> _head = [];
    FileStream? _spill;
    BinaryWriter? _writer;

    public int Count { get; private set; }

    /// <summary>
    /// A listing makes one to a few kilobytes of short-lived garbage per entry (walk, entry, rendering); the GC
    /// would let that grow to its full gen0 budget (tens of MiB here) before collecting, and the memory gen0
    /// used stays resident. Collecting the (nearly empty) young generation every 1,024 entries keeps the peak
    /// where the live data is: measured on a /usr of 172k entries, 49 MiB with a collection every 8,192
    /// entries, 34-40 MiB every 2,048 (with the walk's lazy lstat), see docs/benchmarks.md. A pace by bytes
    /// (GC.GetAllocatedBytesForCurrentThread every 2 MiB) left the peak at 78-165 MiB under Native AOT: it did not collect.
    /// </summary>
    internal static void Pace(int n)
    {
        if (n % 1024 == 0) GC.Collect(0, GCCollectionMode.Forced, blocking: true);
    }

    public void Add(in Listed e)
    {
        Count++;
        if (_writer is null && _head.Count < InMemory) { _head.Add(e); return; }
        _writer ??= Open();
        WriteName(_writer, e.Path);
        _writer.Write(e.NameAt);
        _writer.Write(e.Type);
        _writer.Write(e.Size);
        _writer.Write(e.Mode);
        _writer.Write(e.MtimeTicks);
        _writer.Write(e.Link is not null);
        if (e.Link is not null) WriteName(_writer, e.Link);
        _writer.Write(e.Depth);
    }

    BinaryWriter Open()
    {
        const int O_TMPFILE = 0x410000;
        var fd = Posix.OpenAt(Posix.AT_FDCWD, Path.GetTempPath(), Posix.O_RDWR | O_TMPFILE, 0x180);
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        if (fd >= 0) handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        else
        {
            // No O_TMPFILE here: a private file, unlinked at once.
            var name = Path.Combine(Path.GetTempPath(), $".resh-list-{Environment.ProcessId}-{Guid.NewGuid():N}");
            handle = Posix.OpenHandle(Posix.AT_FDCWD, name, Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW, 0x180, out var errno)
                ?? throw FileErrors.Throw(errno, name, "create a temporary file");
            Posix.UnlinkAt(Posix.AT_FDCWD, name, false);
        }
        _spill = new FileStream(handle, FileAccess.ReadWrite, 1 << 16);
        return new BinaryWriter(_spill, System.Text.Encoding.UTF8, leaveOpen: true);
    }

    /// <summary>Names go as their exact bytes (<see cref="Resh.Core.Text.PathBytes"/>), so raw bytes survive the round trip.</summary>
    static void WriteName(BinaryWriter w, string name)
    {
        var bytes = Resh.Core.Text.PathBytes.Encode(name);
        w.Write7BitEncodedInt(bytes.Length);
        w.Write(bytes);
    }

    static string ReadName(BinaryReader r) => Resh.Core.Text.PathBytes.Decode(r.ReadBytes(r.Read7BitEncodedInt()));

    /// <summary>The entries in order; enumerating a spilled listing reads it back from the start each time.</summary>
    public IEnumerable<Listed> Entries()
    {
        int n = 0;
        foreach (var e in _head)
        {
            Pace(++n);
            yield return e;
        }
        if (_spill is null) yield break;
        _writer!.Flush();
        var end = _spill.Position;
        _spill.Position = 0;
        using var reader = new BinaryReader(_spill, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            while (_spill.Position < end)
            {
                var path = ReadName(reader);
                var nameAt = reader.ReadInt32();
                var type = reader.ReadString();
                var size = reader.ReadInt64();
                var mode = reader.ReadUInt32();
                var mtime = reader.ReadInt64();
                var link = reader.ReadBoolean() ? ReadName(reader) : null;
                var depth = reader.ReadInt32();
                Pace(++n);
                yield return new Listed(path, nameAt, type, size, mode, mtime, link, depth);
            }
        }
        finally
        {
            _spill.Position = end;
        }
    }

    /// <summary>A read-only list over the spool that builds each <see cref="FileEntry"/> only when it is reached.</summary>
    public IReadOnlyList<FileEntry> AsList(Func<Listed, FileEntry> toEntry) =>
        _spill is null ? _head.Select(toEntry).ToList() : new Lazy(this, toEntry);

    sealed class Lazy(ListingSpool spool, Func<Listed, FileEntry> toEntry) : IReadOnlyList<FileEntry>
    {
        public int Count => spool.Count;
        public FileEntry this[int index] => toEntry(spool.Entries().ElementAt(index));
        public IEnumerator<FileEntry> GetEnumerator() => spool.Entries().Select(toEntry).GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
