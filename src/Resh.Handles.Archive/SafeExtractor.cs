using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

public sealed record ExtractOptions(
    string Destination,
    string Overwrite,
    PathFilter Filter,
    int StripComponents,
    ExtractionLimits Limits,
    bool Owners,
    bool AllowSpecial,
    bool DryRun);

/// <summary>An entry that was not extracted, and why.</summary>
public sealed record RefusedEntry(string Path, string Reason);

/// <summary>What an extraction staged: counts, refusals, and the names written (in order).</summary>
public sealed class StagingReport
{
    public long Files, Directories, Symlinks, Hardlinks, Special, Bytes;
    public List<RefusedEntry> Refused { get; } = [];
    public List<string> Names { get; } = [];
}

/// <summary>
/// Extracts into a private temporary directory beside the destination, refusing unsafe entries
/// (absolute names, "..", symlink and hard-link escapes, writes through symlinks, device nodes and
/// FIFOs unless root asked for them) and enforcing the expansion limits. Any failure removes the
/// temporary tree, so nothing half-written is left behind.
/// </summary>
public sealed class SafeExtractor(ArchiveReader reader, long archiveSize, ExtractOptions options, CancellationToken ct)
{
    readonly StagingReport _report = new();
    readonly List<(string Path, ArchiveItem Item)> _directories = [];
    // What this extraction made in its private stage, by relative name: saves a stat per entry and per
    // parent. Only exclusive creations (mkdir, O_EXCL, symlink, link, mknod) and verified directories are
    // recorded, and any removal forgets everything, so a name it does not know is looked at on disk.
    readonly Dictionary<string, ItemKind> _made = new(StringComparer.Ordinal);
    readonly Dictionary<string, int?> _uids = new(StringComparer.Ordinal);
    readonly Dictionary<string, int?> _gids = new(StringComparer.Ordinal);
    readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(1 << 20);
    readonly bool _chown = options.Owners && FileTree.IsRoot;
    long _entries;
    long _written;

    public StagingReport Report => _report;

    /// <summary>Stages the archive into <paramref name="stage"/> (created here, 0700).</summary>
    public void StageInto(string stage)
    {
        CheckDeclared();
        if (!options.DryRun) Directory.CreateDirectory(stage, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        while (reader.Next() is { } item)
        {
            ct.ThrowIfCancellationRequested();
            options.Limits.CheckEntries(++_entries);
            var (name, refusal) = EntryNames.Normalize(item.Name, options.StripComponents);
            if (refusal is not null) { _report.Refused.Add(new(item.Name, refusal)); continue; }
            if (name is null || !options.Filter.Selects(name)) continue;
            refusal = Check(item, name);
            if (refusal is not null) { _report.Refused.Add(new(name, refusal)); continue; }
            if (options.DryRun)
            {
                _written += item.Size;
                options.Limits.CheckBytes(_written, long.MaxValue);
                Count(item);
                _report.Names.Add(name);
                continue;
            }
            refusal = Place(stage, name, item);
            if (refusal is not null) { _report.Refused.Add(new(name, refusal)); continue; }
            Count(item);
            _report.Names.Add(name);
        }
        if (options.DryRun) return;
        // Directory modes and times last (deepest first), so read-only directories could still be filled.
        foreach (var (path, item) in _directories.OrderByDescending(d => d.Path.Length))
            ApplyMeta(path, item);
    }

    void CheckDeclared()
    {
        if (reader.DeclaredEntryCount is { } n) options.Limits.CheckEntries(n);
        // zip and 7z state their sizes up front: a bomb is refused before a byte is written (the
        // streaming checks below still catch an archive that lies about its sizes).
        if (reader.DeclaredTotalSize is { } total) options.Limits.CheckBytes(total, Math.Max(1, archiveSize));
    }

    string? Check(ArchiveItem item, string name)
    {
        switch (item.Kind)
        {
            case ItemKind.Symlink when !EntryNames.SymlinkStaysInside(name, item.LinkTarget ?? ""):
                return "symlink_escape";
            case ItemKind.Hardlink:
                var (target, bad) = EntryNames.Normalize(item.LinkTarget ?? "", options.StripComponents);
                return bad is not null || target is null ? "hardlink_escape" : null;
            case ItemKind.CharDevice or ItemKind.BlockDevice:
                return options.AllowSpecial && FileTree.IsRoot ? null : "device_node";
            case ItemKind.Fifo:
                return options.AllowSpecial && FileTree.IsRoot ? null : "fifo";
            case ItemKind.Other:
                return "unsupported_type";
        }
        return null;
    }

    string? Place(string stage, string name, ArchiveItem item)
    {
        var path = stage + "/" + name;
        var parentRefusal = EnsureParents(stage, name);
        if (parentRefusal is not null) return parentRefusal;
        if (_made.TryGetValue(name, out var made))
        {
            // A later entry of the same name wins, as with tar; a directory stays a directory.
            if (item.Kind == ItemKind.Directory && made == ItemKind.Directory) { _directories.Add((path, item)); return null; }
            RemoveFromStage(path);
        }
        var rc = Create(stage, path, name, item, out var refusal);
        if (rc == NewFile.EEXIST)
        {
            // A name this extraction did not record (a case-folding file system): look, then replace.
            if (Posix.Stat(path, follow: false, out _) is { IsDirectory: true } && item.Kind == ItemKind.Directory)
            {
                _made[name] = ItemKind.Directory;
                _directories.Add((path, item));
                return null;
            }
            RemoveFromStage(path);
            rc = Create(stage, path, name, item, out refusal);
        }
        if (rc != 0) throw ExceptionTranslation.FromErrno(rc, $" ({name})").ToException();
        if (refusal is not null) return refusal;
        _made[name] = item.Kind;
        if (item.Kind is ItemKind.Symlink or ItemKind.CharDevice or ItemKind.BlockDevice or ItemKind.Fifo) ApplyMeta(path, item);
        return null;
    }

    /// <summary>Creates the entry exclusively; returns 0 or the errno (EEXIST when the name is taken).</summary>
    int Create(string stage, string path, string name, ArchiveItem item, out string? refusal)
    {
        refusal = null;
        switch (item.Kind)
        {
            case ItemKind.Directory:
            {
                var rc = NativeFs.Mkdir(path, 0x1C0); // 0700 until the end, so it can be filled whatever its stored mode
                if (rc == 0) _directories.Add((path, item));
                return rc;
            }
            case ItemKind.File:
            {
                var rc = NewFile.TryCreate(path, 0x180, out var file); // 0600 until its content is complete
                if (rc != 0) return rc;
                using (file) WriteFile(file!, item);
                return 0;
            }
            case ItemKind.Symlink:
                return NativeFs.Symlink(item.LinkTarget!, path);
            case ItemKind.Hardlink:
            {
                var (target, _) = EntryNames.Normalize(item.LinkTarget!, options.StripComponents);
                var targetPath = stage + "/" + target;
                var tst = Posix.Stat(targetPath, follow: false, out _);
                if (tst is null || !tst.Value.IsRegular || EnsureParents(stage, target!) is not null) { refusal = "hardlink_escape"; return 0; }
                return NativeFs.Link(targetPath, path); // shares the target's inode and metadata
            }
            case ItemKind.CharDevice or ItemKind.BlockDevice or ItemKind.Fifo:
            {
                uint type = item.Kind switch { ItemKind.CharDevice => FileStatus.S_IFCHR, ItemKind.BlockDevice => FileStatus.S_IFBLK, _ => FileStatus.S_IFIFO };
                return NativeFs.Mknod(path, type | (item.Mode & 0xFFF), item.DevMajor, item.DevMinor);
            }
        }
        return 0;
    }

    /// <summary>
    /// Creates missing parent directories; refuses to go through a symlink or a non-directory. Parents
    /// this extraction made are known without a stat; anything else is created with mkdir, and only a
    /// name that already exists is looked at.
    /// </summary>
    string? EnsureParents(string stage, string name)
    {
        for (var slash = name.IndexOf('/'); slash >= 0; slash = name.IndexOf('/', slash + 1))
        {
            var rel = name[..slash];
            if (_made.TryGetValue(rel, out var kind))
            {
                if (kind == ItemKind.Directory) continue;
                return kind == ItemKind.Symlink ? "through_symlink" : "parent_not_directory";
            }
            var current = stage + "/" + rel;
            var rc = NativeFs.Mkdir(current, 0x1ED); // 0755
            if (rc == NewFile.EEXIST)
            {
                var st = Posix.Stat(current, follow: false, out _);
                if (st is { IsSymlink: true }) return "through_symlink";
                if (st is not { IsDirectory: true }) return "parent_not_directory";
            }
            else if (rc != 0) throw ExceptionTranslation.FromErrno(rc, $" ({rel})").ToException();
            _made[rel] = ItemKind.Directory;
        }
        return null;
    }

    /// <summary>Removes a staged path that a later entry replaces; what this extraction knows about the stage is forgotten.</summary>
    void RemoveFromStage(string path)
    {
        FileTree.Remove(path);
        _made.Clear();
    }

    void WriteFile(NewFile output, ArchiveItem item)
    {
        using var data = reader.OpenData();
        long size = 0;
        int n;
        try
        {
            while ((n = data.Read(_buffer, 0, _buffer.Length)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                output.Write(_buffer.AsSpan(0, n));
                size += n;
                _written += n;
                options.Limits.CheckBytes(_written, reader.ConsumedBytes);
            }
        }
        catch (InvalidDataException ex)
        {
            throw ReshError.Failed($"Entry {item.Name} is corrupt: {ExceptionTranslation.OneLine(ex.Message)}", "The archive is damaged; nothing was written.").ToException();
        }
        if (_chown) output.Chown(Uid(item), Gid(item));
        output.Chmod(item.Mode);
        output.SetTimes(item.Mtime);
        output.Close();
        _report.Bytes += size;
    }

    void ApplyMeta(string path, ArchiveItem item)
    {
        if (_chown) Posix.Chown(path, Uid(item), Gid(item), follow: false);
        if (item.Kind != ItemKind.Symlink) System.IO.File.SetUnixFileMode(path, (UnixFileMode)(item.Mode & 0xFFF));
        NativeFs.SetTimes(path, item.Mtime);
    }

    /// <summary>The owner by name when the name exists here, else by number (names are looked up once per extraction).</summary>
    int Uid(ArchiveItem item)
    {
        if (item.UserName is not { Length: > 0 } name) return item.Uid;
        if (!_uids.TryGetValue(name, out var id)) _uids[name] = id = Users.ResolveUid(name) is { } u ? (int)u : null;
        return id ?? item.Uid;
    }

    int Gid(ArchiveItem item)
    {
        if (item.GroupName is not { Length: > 0 } name) return item.Gid;
        if (!_gids.TryGetValue(name, out var id)) _gids[name] = id = Users.ResolveGid(name) is { } g ? (int)g : null;
        return id ?? item.Gid;
    }

    void Count(ArchiveItem item)
    {
        switch (item.Kind)
        {
            case ItemKind.File: _report.Files++; break;
            case ItemKind.Directory: _report.Directories++; break;
            case ItemKind.Symlink: _report.Symlinks++; break;
            case ItemKind.Hardlink: _report.Hardlinks++; break;
            default: _report.Special++; break;
        }
    }
}
