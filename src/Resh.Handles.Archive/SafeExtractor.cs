using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>How symlinks stored in an archive are treated.</summary>
public enum LinkPolicy
{
    /// <summary>Refuse a symlink whose target, resolved against what the extraction made, leaves the destination (Python tarfile's `data` filter).</summary>
    Safe,
    /// <summary>tar semantics: links are created verbatim (absolute or outward ones too), never followed while extracting.</summary>
    Keep,
}

public sealed record ExtractOptions(
    string Overwrite,
    PathFilter Filter,
    int StripComponents,
    ExtractionLimits Limits,
    bool Owners,
    bool AllowSpecial,
    bool DryRun,
    LinkPolicy Links = LinkPolicy.Safe,
    bool PreservePermissions = true,
    bool Xattrs = false,
    bool Acls = false);

/// <summary>An entry that was not extracted, and why.</summary>
public sealed record RefusedEntry(string Path, string Reason);

/// <summary>What an extraction staged: counts, refusals, warnings and the names written (in order).</summary>
public sealed class StagingReport
{
    public long Files, Directories, Symlinks, Hardlinks, Special, Bytes;
    public List<RefusedEntry> Refused { get; } = [];
    public List<string> Names { get; } = [];
    public List<string> Warnings { get; } = [];
}

/// <summary>
/// Extracts into a private directory (the stage) by directory handle only: every entry is created with
/// openat/mkdirat/symlinkat/linkat/mknodat relative to a parent opened without following symlinks
/// (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), so no entry — however the archive arranges symlinks,
/// renames or replacements — can make resh write, chmod or chown outside the stage. Metadata of files
/// is set on their descriptor; directories get theirs last, by handle, after checking that the
/// directory is still the one resh made (same inode). Unsafe entries are refused one by one; symlinks
/// are checked at the end against the tree as extracted (chains included).
/// </summary>
public sealed class SafeExtractor(ArchiveReader reader, long archiveSize, ExtractOptions options, CancellationToken ct) : IDisposable
{
    sealed class Node
    {
        public ItemKind Kind;
        public string? Link;
        public ulong Inode;
        public ArchiveItem? Meta;
        /// <summary>True when an archive entry made it (not an implicit parent): it is in the counts and names.</summary>
        public bool Counted;
        /// <summary>A hard link entry to a symlink or a special file: the node has the target's kind, but counts as a hard link.</summary>
        public bool FromHardlink;
        /// <summary>What the extraction would leave here (dry run over an existing destination): null = not compared.</summary>
        public bool? SameAsDestination;
        /// <summary>The mode extraction sets (files, directories, FIFOs and devices).</summary>
        public uint Mode;
        /// <summary>For a hard link to a file: the name it links to.</summary>
        public string? LinkOf;

        public ItemKind CountKind => FromHardlink ? ItemKind.Hardlink : Kind;
    }

    /// <summary>
    /// The node a hard link entry makes: another name of the target's inode. GNU tar links a symlink itself
    /// (linkat without AT_SYMLINK_FOLLOW), so a link to a symlink is a symlink with the same target text,
    /// checked by the link policy at its own place like any symlink.
    /// </summary>
    static Node LinkedNode(Node target) => target.Kind switch
    {
        ItemKind.File or ItemKind.Hardlink => new Node { Kind = ItemKind.Hardlink },
        _ => new Node { Kind = target.Kind, Link = target.Link, FromHardlink = true },
    };

    Node? _linked;

    readonly StagingReport _report = new();
    readonly Dictionary<string, Node> _tree = new(StringComparer.Ordinal);
    readonly Dictionary<string, uint?> _uids = new(StringComparer.Ordinal);
    readonly Dictionary<string, uint?> _gids = new(StringComparer.Ordinal);
    readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(1 << 20);
    readonly bool _root = FileTree.IsRoot;
    readonly bool _chown = options.Owners && FileTree.IsRoot;
    readonly uint _umask = AtCalls.Umask();
    int _stageFd = -1;
    string? _cachedParent;
    int _cachedFd = -1;
    long _entries;
    long _written;
    long _holes;

    /// <summary>
    /// Dry run over an existing destination: given an entry name, the mode extraction would set and the
    /// entry's content, says whether the destination already holds exactly that file (as tar -d compares).
    /// </summary>
    public Func<string, uint, Stream, bool>? CompareWithDestination { get; init; }

    /// <summary>What the extraction makes (after a dry run: what it would make), by name.</summary>
    public IEnumerable<(string Name, ItemKind Kind, string? Link, uint Mode, bool? Same, string? LinkOf)> Model =>
        _tree.Select(kv => (kv.Key, kv.Value.Kind, kv.Value.Link, kv.Value.Mode, kv.Value.SameAsDestination, kv.Value.LinkOf));

    /// <summary>Looks a name up in an existing destination the stage will be merged into (for symlink resolution).</summary>
    public Func<string, (ItemKind Kind, string? Link)?>? ExistingDestination { get; init; }

    public StagingReport Report => _report;

    /// <summary>The open stage directory (valid after <see cref="StageInto"/>, until disposed).</summary>
    public int StageFd => _stageFd;

    /// <summary>
    /// Stages the archive into the new directory <paramref name="stageName"/> under <paramref name="parentFd"/>
    /// (created 0700). Under dry run nothing is created: the same checks run on the model alone.
    /// </summary>
    public void StageInto(int parentFd, string stageName)
    {
        CheckDeclared();
        if (!options.DryRun)
        {
            var rc = AtCalls.MkdirAt(parentFd, stageName, 0x1C0);
            if (rc != 0) throw ExceptionTranslation.FromErrno(rc, $" ({PathBytes.Display(stageName)})").ToException();
            _stageFd = AtCalls.OpenAt(parentFd, stageName, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
            if (_stageFd < 0) throw ExceptionTranslation.FromErrno(-_stageFd, $" ({PathBytes.Display(stageName)})").ToException();
        }
        while (reader.Next() is { } item)
        {
            ct.ThrowIfCancellationRequested();
            options.Limits.CheckEntries(++_entries);
            var (name, refusal) = EntryNames.Normalize(item.Name, options.StripComponents);
            if (refusal is not null) { Refuse(item.Name, refusal); continue; }
            if (name is null || !options.Filter.Selects(name)) continue;
            refusal = Check(item);
            if (refusal is not null) { Refuse(name, refusal); continue; }
            refusal = Place(name, item);
            if (refusal is not null) { Refuse(name, refusal); continue; }
            if (_tree.TryGetValue(name, out var placed) && !placed.Counted)
            {
                placed.Counted = true;
                Count(item.Kind, +1);
                _report.Names.Add(name);
            }
        }
        if (options.Links == LinkPolicy.Safe) RefuseEscapingLinks();
        if (!options.DryRun) FixDirectories();
        _report.Warnings.AddRange(reader.Warnings);
    }

    void Refuse(string name, string reason) => _report.Refused.Add(new(name, reason));

    void CheckDeclared()
    {
        if (reader.DeclaredEntryCount is { } n) options.Limits.CheckEntries(n);
        // zip and 7z state their sizes up front: a bomb is refused before a byte is written (the
        // streaming checks below still catch an archive that lies about its sizes).
        if (reader.DeclaredTotalSize is { } total) options.Limits.CheckBytes(total, Math.Max(1, archiveSize));
    }

    string? Check(ArchiveItem item) => item.Kind switch
    {
        ItemKind.Symlink when string.IsNullOrEmpty(item.LinkTarget) => "empty_link_target",
        ItemKind.Symlink or ItemKind.Hardlink when item.LinkTarget!.Contains('\0') => "invalid_name",
        ItemKind.CharDevice or ItemKind.BlockDevice => options.AllowSpecial && _root ? null : "device_node",
        ItemKind.Fifo => options.AllowSpecial ? null : "fifo",
        ItemKind.Other => "unsupported_type",
        _ => null,
    };

    // ---- placing entries ---------------------------------------------------------------------

    string? Place(string name, ArchiveItem item)
    {
        var slash = name.LastIndexOf('/');
        var parent = slash < 0 ? "" : name[..slash];
        var leaf = slash < 0 ? name : name[(slash + 1)..];
        var refusal = EnsureParents(parent);
        if (refusal is not null) return refusal;

        string? linkTarget = null;
        if (item.Kind == ItemKind.Hardlink)
        {
            var (target, bad) = EntryNames.Normalize(item.LinkTarget!, options.StripComponents);
            if (bad is not null || target is null) return "hardlink_escape";
            if (target == name) return null; // a link to itself: nothing to do (tar skips it too)
            if (!_tree.TryGetValue(target, out var t) || t.Kind is ItemKind.Directory or ItemKind.Other) return "hardlink_target_missing";
            linkTarget = target;
            _linked = LinkedNode(t);
            if (_linked.Kind == ItemKind.Hardlink) _linked.LinkOf = t.Kind == ItemKind.Hardlink ? t.LinkOf : target;
            else _linked.Mode = t.Mode;
        }

        if (_tree.TryGetValue(name, out var existing))
        {
            // A later entry of the same name wins, as with tar; a directory stays a directory (with the newer metadata).
            if (item.Kind == ItemKind.Directory && existing.Kind == ItemKind.Directory) { existing.Meta = item; existing.Mode = Mode(item); return null; }
            Remove(name, existing);
        }

        if (options.DryRun)
        {
            _tree[name] = item.Kind == ItemKind.Hardlink ? _linked!
                : new Node { Kind = item.Kind, Link = item.Kind == ItemKind.Symlink ? item.LinkTarget : null, Meta = item.Kind == ItemKind.Directory ? item : null, Mode = Mode(item) };
            if (item.Kind == ItemKind.File && CompareWithDestination is { } compare)
            {
                if (item.Sparse is not null) _tree[name].SameAsDestination = false; // not compared: taken as different
                else
                {
                    using var data = reader.OpenData();
                    _tree[name].SameAsDestination = compare(name, Mode(item), data);
                }
            }
            _written += item.Kind == ItemKind.File ? item.Size : 0;
            options.Limits.CheckBytes(_written, long.MaxValue);
            return null;
        }

        var fd = ParentFd(parent);
        var rc = Create(fd, leaf, name, item, linkTarget, out refusal);
        if (rc == AtCalls.EEXIST)
        {
            // A name this extraction did not make: only a case-folding file system does this. Look, then replace.
            var st = AtCalls.StatAt(fd, leaf, false, out _);
            if (st is { IsDirectory: true } && item.Kind == ItemKind.Directory)
            {
                _tree[name] = new Node { Kind = ItemKind.Directory, Inode = st.Value.Inode, Meta = item };
                return null;
            }
            if (st is { IsDirectory: true }) return "name_collision";
            AtCalls.UnlinkAt(fd, leaf, directory: false);
            rc = Create(fd, leaf, name, item, linkTarget, out refusal);
        }
        if (rc == AtCalls.ENAMETOOLONG) return "name_too_long";
        if (rc != 0) throw ArchiveErrors.FromErrno(rc, name).ToException();
        return refusal;
    }

    /// <summary>Creates one entry in its parent directory (by handle); returns 0 or the errno.</summary>
    int Create(int fd, string leaf, string name, ArchiveItem item, string? linkTarget, out string? refusal)
    {
        refusal = null;
        switch (item.Kind)
        {
            case ItemKind.Directory:
            {
                var rc = AtCalls.MkdirAt(fd, leaf, 0x1C0); // 0700 until the end, so it can be filled whatever its stored mode
                if (rc != 0) return rc;
                _tree[name] = new Node { Kind = ItemKind.Directory, Inode = AtCalls.StatAt(fd, leaf, false, out _)?.Inode ?? 0, Meta = item };
                return 0;
            }
            case ItemKind.File:
            {
                var file = AtCalls.OpenAt(fd, leaf, AtCalls.O_WRONLY | AtCalls.O_CREAT | AtCalls.O_EXCL | AtCalls.O_NOFOLLOW, 0x180);
                if (file < 0) return -file;
                _tree[name] = new Node { Kind = ItemKind.File };
                try { WriteFile(file, name, item); }
                finally { AtCalls.Close(file); }
                return 0;
            }
            case ItemKind.Symlink:
            {
                var rc = AtCalls.SymlinkAt(item.LinkTarget!, fd, leaf);
                if (rc != 0) return rc;
                _tree[name] = new Node { Kind = ItemKind.Symlink, Link = item.LinkTarget };
                if (_chown && Owner(item) is var (u, g)) AtCalls.LChownAt(fd, leaf, u, g);
                AtCalls.LSetTimesAt(fd, leaf, item.Mtime);
                return 0;
            }
            case ItemKind.Hardlink:
            {
                var slash = linkTarget!.LastIndexOf('/');
                var tparent = slash < 0 ? "" : linkTarget[..slash];
                var tleaf = slash < 0 ? linkTarget : linkTarget[(slash + 1)..];
                var tfd = tparent.Length == 0 ? _stageFd : AtCalls.OpenBeneath(_stageFd, tparent, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
                if (tfd < 0) { refusal = "hardlink_target_missing"; return 0; }
                try
                {
                    var rc = AtCalls.LinkAt(tfd, tleaf, fd, leaf); // never follows: links the inode resh made
                    if (rc != 0) return rc;
                }
                finally
                {
                    if (tfd != _stageFd) AtCalls.Close(tfd);
                }
                _tree[name] = _linked!;
                return 0;
            }
            case ItemKind.CharDevice or ItemKind.BlockDevice or ItemKind.Fifo:
            {
                uint type = item.Kind switch { ItemKind.CharDevice => FileStatus.S_IFCHR, ItemKind.BlockDevice => FileStatus.S_IFBLK, _ => FileStatus.S_IFIFO };
                var rc = AtCalls.MknodAt(fd, leaf, type | 0x180, item.DevMajor, item.DevMinor);
                if (rc != 0) return rc;
                _tree[name] = new Node { Kind = item.Kind };
                // The node was just made in a private directory resh holds open: nothing can have replaced it.
                if (_chown && Owner(item) is var (u, g)) AtCalls.LChownAt(fd, leaf, u, g);
                AtCalls.ChmodAt(fd, leaf, Mode(item));
                AtCalls.LSetTimesAt(fd, leaf, item.Mtime);
                return 0;
            }
        }
        return 0;
    }

    /// <summary>Creates missing parent directories (by handle); refuses to go through a symlink or a non-directory.</summary>
    string? EnsureParents(string parent)
    {
        if (parent.Length == 0) return null;
        if (_tree.TryGetValue(parent, out var known))
            return known.Kind == ItemKind.Directory ? null : known.Kind == ItemKind.Symlink ? "through_symlink" : "parent_not_directory";
        for (var slash = parent.IndexOf('/'); ; slash = parent.IndexOf('/', slash + 1))
        {
            var rel = slash < 0 ? parent : parent[..slash];
            if (_tree.TryGetValue(rel, out var kind))
            {
                if (kind.Kind != ItemKind.Directory) return kind.Kind == ItemKind.Symlink ? "through_symlink" : "parent_not_directory";
            }
            else
            {
                if (!options.DryRun)
                {
                    var cut = rel.LastIndexOf('/');
                    var fd = ParentFd(cut < 0 ? "" : rel[..cut]);
                    var leaf = cut < 0 ? rel : rel[(cut + 1)..];
                    var rc = AtCalls.MkdirAt(fd, leaf, 0x1FF); // implicit directories: 0777 less the umask, as tar makes them
                    if (rc == AtCalls.ENAMETOOLONG) return "name_too_long";
                    if (rc != 0 && rc != AtCalls.EEXIST) throw ArchiveErrors.FromErrno(rc, rel).ToException();
                    var st = AtCalls.StatAt(fd, leaf, false, out _);
                    if (st is not { IsDirectory: true }) return "parent_not_directory";
                    _tree[rel] = new Node { Kind = ItemKind.Directory, Inode = st.Value.Inode };
                }
                else _tree[rel] = new Node { Kind = ItemKind.Directory, Mode = 0x1FF & ~_umask };
            }
            if (slash < 0) return null;
        }
    }

    /// <summary>The directory handle of a staged parent (one cached: archives list a directory's entries together).</summary>
    int ParentFd(string parent)
    {
        if (parent.Length == 0) return _stageFd;
        if (_cachedParent == parent) return _cachedFd;
        DropCache();
        var fd = AtCalls.OpenBeneath(_stageFd, parent, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
        if (fd < 0) throw ArchiveErrors.FromErrno(-fd, parent).ToException();
        _cachedParent = parent;
        _cachedFd = fd;
        return fd;
    }

    void DropCache()
    {
        if (_cachedFd >= 0) AtCalls.Close(_cachedFd);
        _cachedFd = -1;
        _cachedParent = null;
    }

    /// <summary>Removes a staged entry that a later one replaces (a directory with everything under it).</summary>
    void Remove(string name, Node node)
    {
        var prefix = name + "/";
        foreach (var key in _tree.Keys.Where(k => k == name || k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            if (_tree[key].Counted) Count(_tree[key].CountKind, -1);
            _tree.Remove(key);
        }
        _report.Names.RemoveAll(n => n == name || n.StartsWith(prefix, StringComparison.Ordinal));
        if (options.DryRun) return;
        DropCache();
        var slash = name.LastIndexOf('/');
        var fd = ParentFd(slash < 0 ? "" : name[..slash]);
        var rc = FdTree.Remove(fd, slash < 0 ? name : name[(slash + 1)..]);
        if (rc != 0) throw ArchiveErrors.FromErrno(rc, name).ToException();
        DropCache();
    }

    // ---- content and metadata ----------------------------------------------------------------

    void WriteFile(int fd, string name, ArchiveItem item)
    {
        using (var data = reader.OpenData())
        {
            if (item.Sparse is { } map)
            {
                _holes += map.RealSize - map.StoredSize; // the holes count as content for max_bytes, not for the ratio
                foreach (var (offset, length) in map.Regions)
                {
                    var left = length;
                    var at = offset;
                    while (left > 0)
                    {
                        var n = data.Read(_buffer, 0, (int)Math.Min(left, _buffer.Length));
                        if (n == 0) throw new ArchiveCorruptException($"{PathBytes.Display(name)}: the sparse data ends early (truncated)");
                        Write(fd, name, _buffer.AsSpan(0, n), at);
                        at += n;
                        left -= n;
                    }
                }
                while (data.Read(_buffer, 0, _buffer.Length) > 0) { } // lets the reader check what follows
                var rc = AtCalls.FTruncate(fd, map.RealSize);
                if (rc != 0) throw ArchiveErrors.FromErrno(rc, name).ToException();
                _report.Bytes += map.RealSize;
            }
            else
            {
                long size = 0;
                int n;
                while ((n = data.Read(_buffer, 0, _buffer.Length)) > 0)
                {
                    Write(fd, name, _buffer.AsSpan(0, n), -1);
                    size += n;
                }
                _report.Bytes += size;
            }
        }
        ApplyMeta(fd, name, item);
    }

    void Write(int fd, string name, ReadOnlySpan<byte> data, long offset)
    {
        ct.ThrowIfCancellationRequested();
        // Judged before the write, so a bound set by the free space stops the extraction before the disk is full.
        _written += data.Length;
        options.Limits.CheckBytes(_written, reader.ConsumedBytes, _holes);
        var rc = AtCalls.WriteAll(fd, data, offset);
        if (rc != 0) throw ArchiveErrors.FromErrno(rc, name).ToException();
    }

    /// <summary>Owner (before the mode: chown clears set-id bits), mode, ACLs, xattrs, then times — all on the descriptor.</summary>
    void ApplyMeta(int fd, string name, ArchiveItem item)
    {
        if (_chown && Owner(item) is var (u, g)) AtCalls.FChown(fd, u, g);
        var rc = AtCalls.FChmod(fd, Mode(item));
        if (rc != 0) throw ArchiveErrors.FromErrno(rc, name).ToException();
        if (options.Acls)
        {
            SetAcl(fd, name, PosixAcl.AccessXattr, item.AclAccess);
            if (item.Kind == ItemKind.Directory) SetAcl(fd, name, PosixAcl.DefaultXattr, item.AclDefault);
        }
        if (options.Xattrs && item.Xattrs is { } xattrs)
        {
            foreach (var (key, value) in xattrs)
            {
                var x = AtCalls.FSetXattr(fd, key, value);
                if (x != 0) _report.Warnings.Add($"{PathBytes.Display(name)}: extended attribute {key} not restored ({Posix.StrError(x)})");
            }
        }
        AtCalls.FSetTimes(fd, item.Mtime);
    }

    void SetAcl(int fd, string name, string xattr, string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        var value = PosixAcl.FromText(text, out var problem);
        if (value is null) { _report.Warnings.Add($"{PathBytes.Display(name)}: ACL not restored ({problem})"); return; }
        var rc = AtCalls.FSetXattr(fd, xattr, value);
        if (rc != 0) _report.Warnings.Add($"{PathBytes.Display(name)}: ACL not restored ({Posix.StrError(rc)})");
    }

    /// <summary>
    /// The mode to set: as stored for root (GNU tar's --same-permissions default there) or when
    /// preserve_permissions is asked; otherwise without setuid/setgid and less the umask, as tar
    /// extracts for ordinary users.
    /// </summary>
    uint Mode(ArchiveItem item)
    {
        var mode = item.Mode & 0xFFF;
        if (!options.PreservePermissions) mode &= ~_umask & ~0xC00u;
        return mode;
    }

    /// <summary>Directory modes, owners and times last (deepest first), each on a handle to the very directory resh made.</summary>
    void FixDirectories()
    {
        DropCache();
        foreach (var (name, node) in _tree.Where(kv => kv.Value.Kind == ItemKind.Directory && kv.Value.Meta is not null)
                     .OrderByDescending(kv => kv.Key.Count(c => c == '/')).ThenByDescending(kv => kv.Key, StringComparer.Ordinal).ToList())
        {
            var fd = AtCalls.OpenBeneath(_stageFd, name, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
            if (fd < 0) continue;
            try
            {
                if (AtCalls.FStat(fd, out _) is not { } st || st.Inode != node.Inode) continue;
                ApplyMeta(fd, name, node.Meta!);
            }
            finally
            {
                AtCalls.Close(fd);
            }
        }
    }

    (uint, uint)? Owner(ArchiveItem item)
    {
        uint? uid = null, gid = null;
        if (item.UserName is { Length: > 0 } un)
        {
            if (!_uids.TryGetValue(un, out uid)) _uids[un] = uid = Users.ResolveUid(un);
        }
        if (item.GroupName is { Length: > 0 } gn)
        {
            if (!_gids.TryGetValue(gn, out gid)) _gids[gn] = gid = Users.ResolveGid(gn);
        }
        uid ??= item.Uid is >= 0 and < uint.MaxValue ? (uint)item.Uid : null;
        gid ??= item.Gid is >= 0 and < uint.MaxValue ? (uint)item.Gid : null;
        if (uid is null || gid is null) return null;
        return (uid.Value, gid.Value);
    }

    // ---- symlinks ----------------------------------------------------------------------------

    /// <summary>
    /// Refuses every symlink whose target, followed through the links this extraction made (and the
    /// destination it merges into), would leave the destination: absolute targets, too many "..", and
    /// chains such as p2 -> ../../.. then etc -> p2/../../etc. Components that do not exist are taken as
    /// directories, so a link cannot escape once someone creates them.
    /// </summary>
    void RefuseEscapingLinks()
    {
        var escaping = _tree.Where(kv => kv.Value.Kind == ItemKind.Symlink && Escapes(kv.Key, kv.Value.Link!)).Select(kv => kv.Key).ToList();
        foreach (var name in escaping)
        {
            Refuse(name, "symlink_escape");
            if (_tree[name].Counted) Count(_tree[name].CountKind, -1);
            _tree.Remove(name);
            _report.Names.Remove(name);
            if (options.DryRun) continue;
            var slash = name.LastIndexOf('/');
            var fd = ParentFd(slash < 0 ? "" : name[..slash]);
            AtCalls.UnlinkAt(fd, slash < 0 ? name : name[(slash + 1)..], directory: false);
        }
    }

    bool Escapes(string linkName, string target)
    {
        var stack = new List<string>(linkName.Split('/'));
        stack.RemoveAt(stack.Count - 1);
        var expansions = 0;
        return Walk(stack, target, ref expansions);
    }

    /// <summary>Resolves <paramref name="target"/> from the directory <paramref name="stack"/>; true when it leaves the root.</summary>
    bool Walk(List<string> stack, string target, ref int expansions)
    {
        if (target.StartsWith('/')) return true;
        foreach (var part in target.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (stack.Count == 0) return true;
                stack.RemoveAt(stack.Count - 1);
                continue;
            }
            stack.Add(part);
            var (kind, link) = Lookup(string.Join('/', stack));
            if (kind != ItemKind.Symlink) continue;
            // The kernel gives up after 40 links; so can we: such a link resolves nowhere.
            if (++expansions > 40) return false;
            stack.RemoveAt(stack.Count - 1);
            if (Walk(stack, link!, ref expansions)) return true;
        }
        return false;
    }

    (ItemKind Kind, string? Link) Lookup(string rel)
    {
        if (_tree.TryGetValue(rel, out var node)) return (node.Kind, node.Link);
        if (ExistingDestination?.Invoke(rel) is { } found) return found;
        return (ItemKind.Directory, null); // missing: treated as a directory someone may create later
    }

    void Count(ItemKind kind, int by)
    {
        switch (kind)
        {
            case ItemKind.File: _report.Files += by; break;
            case ItemKind.Directory: _report.Directories += by; break;
            case ItemKind.Symlink: _report.Symlinks += by; break;
            case ItemKind.Hardlink: _report.Hardlinks += by; break;
            default: _report.Special += by; break;
        }
    }

    public void Dispose()
    {
        DropCache();
        if (_stageFd >= 0) AtCalls.Close(_stageFd);
        _stageFd = -1;
    }
}
