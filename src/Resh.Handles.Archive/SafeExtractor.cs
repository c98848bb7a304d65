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
        var path = Path.Combine(stage, name);
        var parentRefusal = EnsureParents(stage, name);
        if (parentRefusal is not null) return parentRefusal;
        var existing = Posix.Stat(path, follow: false, out _);
        if (existing is { } ex)
        {
            // A later entry of the same name wins, as with tar; a directory stays a directory.
            if (item.Kind == ItemKind.Directory && ex.IsDirectory) { _directories.Add((path, item)); return null; }
            FileTree.Remove(path);
        }
        switch (item.Kind)
        {
            case ItemKind.Directory:
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                _directories.Add((path, item));
                return null;
            case ItemKind.File:
                WriteFile(path, item);
                break;
            case ItemKind.Symlink:
                System.IO.File.CreateSymbolicLink(path, item.LinkTarget!);
                break;
            case ItemKind.Hardlink:
            {
                var (target, _) = EntryNames.Normalize(item.LinkTarget!, options.StripComponents);
                var targetPath = Path.Combine(stage, target!);
                var tst = Posix.Stat(targetPath, follow: false, out _);
                if (tst is null || !tst.Value.IsRegular || EnsureParents(stage, target!) is not null) return "hardlink_escape";
                var rc = NativeFs.Link(targetPath, path);
                if (rc != 0) throw ExceptionTranslation.FromErrno(rc, $" ({name})").ToException();
                return null; // shares the target's inode and metadata
            }
            case ItemKind.CharDevice or ItemKind.BlockDevice or ItemKind.Fifo:
            {
                uint type = item.Kind switch { ItemKind.CharDevice => FileStatus.S_IFCHR, ItemKind.BlockDevice => FileStatus.S_IFBLK, _ => FileStatus.S_IFIFO };
                var rc = NativeFs.Mknod(path, type | (item.Mode & 0xFFF), item.DevMajor, item.DevMinor);
                if (rc != 0) throw ExceptionTranslation.FromErrno(rc, $" ({name})").ToException();
                break;
            }
        }
        ApplyMeta(path, item);
        return null;
    }

    /// <summary>Creates missing parent directories; refuses to go through a symlink or a non-directory.</summary>
    static string? EnsureParents(string stage, string name)
    {
        var parts = name.Split('/');
        var current = stage;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            var st = Posix.Stat(current, follow: false, out _);
            if (st is null)
            {
                Directory.CreateDirectory(current, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
                continue;
            }
            if (st.Value.IsSymlink) return "through_symlink";
            if (!st.Value.IsDirectory) return "parent_not_directory";
        }
        return null;
    }

    void WriteFile(string path, ArchiveItem item)
    {
        using var data = reader.OpenData();
        using var output = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            BufferSize = 0,
        });
        var buffer = new byte[1 << 20];
        int n;
        try
        {
            while ((n = data.Read(buffer, 0, buffer.Length)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                output.Write(buffer, 0, n);
                _written += n;
                options.Limits.CheckBytes(_written, reader.ConsumedBytes);
            }
        }
        catch (InvalidDataException ex)
        {
            throw ReshError.Failed($"Entry {item.Name} is corrupt: {ExceptionTranslation.OneLine(ex.Message)}", "The archive is damaged; nothing was written.").ToException();
        }
        _report.Bytes += output.Length;
    }

    void ApplyMeta(string path, ArchiveItem item)
    {
        if (options.Owners && FileTree.IsRoot)
        {
            var uid = item.UserName is { Length: > 0 } u && Users.ResolveUid(u) is { } ru ? (int)ru : item.Uid;
            var gid = item.GroupName is { Length: > 0 } g && Users.ResolveGid(g) is { } rg ? (int)rg : item.Gid;
            Posix.Chown(path, uid, gid, follow: false);
        }
        if (item.Kind != ItemKind.Symlink) System.IO.File.SetUnixFileMode(path, (UnixFileMode)(item.Mode & 0xFFF));
        NativeFs.SetTimes(path, item.Mtime);
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
