using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>What to do when the destination of a copy already exists.</summary>
internal enum OverwritePolicy { Never, Always, Newer, Skip }

internal enum CopyAction { CopyFile, MakeLink, MakeHardLink, MakeNode, MakeDir, EnterDir, Unchanged, SyncMetadata, Skip }

/// <summary>One planned step: what happens to one source entry. <c>LinkTarget</c> is a symlink's target, or for a
/// hard link the destination path of the first copy of the same inode.</summary>
internal sealed record CopyStep(CopyAction Action, string Source, string Dest, FileStatus SourceStat, FileStatus? DestStat, string? LinkTarget);

/// <summary>
/// Plans a copy of a file, a symlink or a tree before anything is written, so --dry-run and conflicts
/// (overwrite=never) are decided up front and a refused copy leaves the destination untouched.
/// </summary>
internal sealed class CopyPlan
{
    public List<CopyStep> Steps { get; } = [];
    public List<string> Conflicts { get; } = [];
    readonly OverwritePolicy _policy;
    readonly bool _preserve;
    readonly bool _follow;
    readonly VerbContext _ctx;

    CopyPlan(VerbContext ctx, OverwritePolicy policy, bool preserve, bool follow)
    {
        _ctx = ctx;
        _policy = policy;
        _preserve = preserve;
        _follow = follow;
    }

    public static OverwritePolicy ParsePolicy(string? text) => text switch
    {
        "always" => OverwritePolicy.Always,
        "newer" => OverwritePolicy.Newer,
        "skip" => OverwritePolicy.Skip,
        _ => OverwritePolicy.Never,
    };

    public static CopyPlan Build(VerbContext ctx, string source, FileStatus sourceStat, string dest, OverwritePolicy policy, bool preserve, bool follow)
    {
        var plan = new CopyPlan(ctx, policy, preserve, follow);
        plan.Visit(source, sourceStat, dest);
        return plan;
    }

    /// <summary>Entries that could not be copied (sockets, devices without privilege), with why.</summary>
    public List<string> Skipped { get; } = [];
    readonly Dictionary<(uint, uint, ulong), string> _inodes = [];

    public bool Changes => Steps.Any(s => s.Action is CopyAction.CopyFile or CopyAction.MakeLink or CopyAction.MakeHardLink or CopyAction.MakeNode or CopyAction.MakeDir or CopyAction.SyncMetadata);
    public long Count(CopyAction a) => Steps.LongCount(s => s.Action == a);
    public long Overwrites => Steps.LongCount(s => s.Action is CopyAction.CopyFile or CopyAction.MakeLink or CopyAction.MakeHardLink or CopyAction.MakeNode && s.DestStat is not null);
    public long BytesToCopy => Steps.Where(s => s.Action == CopyAction.CopyFile).Sum(s => s.SourceStat.Size);

    public ReshError ConflictError(string dest) => ReshError.Conflict(
        Conflicts.Count == 1 ? $"{Conflicts[0]} already exists with different content." : $"{Conflicts.Count} destination entries already exist with different content.",
        "Choose an overwrite policy: overwrite=always (replace), newer (replace when the source is newer) or skip (keep existing).",
        new JsonObject { ["to"] = FilePaths.Display(dest), ["conflicts"] = new JsonArray(Conflicts.Take(20).Select(c => (JsonNode?)FilePaths.Display(c)).ToArray()) });

    void Visit(string src, FileStatus ss, string dst)
    {
        _ctx.Cancellation.ThrowIfCancellationRequested();
        var ds = Posix.Stat(dst, false, out var errno);
        if (ds is null && errno != FileNative.ENOENT) throw FileErrors.Throw(errno, dst, "look up");

        if (ss.IsDirectory)
        {
            if (ds is { IsDirectory: true } d)
            {
                Steps.Add(new CopyStep(MetadataDiffers(ss, d, true) ? CopyAction.SyncMetadata : CopyAction.EnterDir, src, dst, ss, d, null));
            }
            else if (ds is { } other)
            {
                if (_policy == OverwritePolicy.Skip) { Steps.Add(new CopyStep(CopyAction.Skip, src, dst, ss, other, null)); return; }
                Conflicts.Add(dst); // a directory never replaces a file, whatever the policy (cp -r refuses too)
                return;
            }
            else Steps.Add(new CopyStep(CopyAction.MakeDir, src, dst, ss, null, null));

            var entries = Posix.ReadDirectory(src, out var derr) ?? throw FileErrors.Throw(derr, src, "read the directory");
            var children = entries.Select(e => TreeWalk.Join(src, e.Name)).ToList();
            children.Sort(StringComparer.Ordinal);
            foreach (var child in children)
            {
                var cs = Posix.Stat(child, _follow, out var cerr);
                if (cs is null)
                {
                    if (cerr == FileNative.ENOENT && _follow && Posix.Stat(child, false, out _) is { } dangling) cs = dangling; // copy a dangling link as a link
                    else if (cerr == FileNative.ENOENT) continue;
                    else throw FileErrors.Throw(cerr, child, "read");
                }
                Visit(child, cs.Value, Path.Combine(dst, Path.GetFileName(child)));
            }
            return;
        }

        if (ss.IsSymlink)
        {
            var target = Posix.ReadLink(src, out var lerr) ?? throw FileErrors.Throw(lerr, src, "read the link");
            if (ds is { IsSymlink: true } dl && Posix.ReadLink(dst, out _) == target)
            {
                Steps.Add(new CopyStep(CopyAction.Unchanged, src, dst, ss, dl, target));
                return;
            }
            Decide(src, ss, dst, ds, CopyAction.MakeLink, target);
            return;
        }

        if (!ss.IsRegular)
        {
            // cp -a recreates FIFOs and (as root) device nodes; a socket is only meaningful to the server that made it.
            bool canMake = ss.FileType == FileStatus.S_IFIFO
                || (ss.FileType is FileStatus.S_IFCHR or FileStatus.S_IFBLK && Resh.Core.Platform.LibC.GetEUid() == 0);
            if (!canMake || !_preserve && ss.FileType != FileStatus.S_IFIFO)
            {
                var why = ss.FileType == FileStatus.S_IFSOCK ? "a socket is not copied" : $"a {ss.TypeName} needs root to recreate";
                _ctx.Warn($"Skipped {FilePaths.Display(src)}: {why}.");
                Skipped.Add(src);
                Steps.Add(new CopyStep(CopyAction.Skip, src, dst, ss, ds, null));
                return;
            }
            if (ds is { } dn && dn.FileType == ss.FileType && dn.RdevMajor == ss.RdevMajor && dn.RdevMinor == ss.RdevMinor)
            {
                Steps.Add(new CopyStep(MetadataDiffers(ss, dn, false) ? CopyAction.SyncMetadata : CopyAction.Unchanged, src, dst, ss, dn, null));
                return;
            }
            Decide(src, ss, dst, ds, CopyAction.MakeNode, null);
            return;
        }

        if (_preserve && ss.Links > 1)
        {
            // Hard links within the tree stay hard links (cp -a): the first name is copied, the others link to it.
            var key = (ss.DevMajor, ss.DevMinor, ss.Inode);
            if (_inodes.TryGetValue(key, out var first))
            {
                if (ds is { } dh && Posix.Stat(first, false, out _) is { } fh && fh.Inode == dh.Inode && fh.DevMajor == dh.DevMajor && fh.DevMinor == dh.DevMinor)
                {
                    Steps.Add(new CopyStep(CopyAction.Unchanged, src, dst, ss, dh, first));
                    return;
                }
                if (ds is null)
                {
                    Steps.Add(new CopyStep(CopyAction.MakeHardLink, src, dst, ss, null, first));
                    return;
                }
                // The destination exists as a file of its own: compared and replaced like any other file.
            }
            else _inodes[key] = dst;
        }

        if (ds is { IsRegular: true } df && df.Size == ss.Size && _policy != OverwritePolicy.Skip && SameContent(src, dst))
        {
            Steps.Add(new CopyStep(MetadataDiffers(ss, df, false) ? CopyAction.SyncMetadata : CopyAction.Unchanged, src, dst, ss, df, null));
            return;
        }
        Decide(src, ss, dst, ds, CopyAction.CopyFile, null);
    }

    void Decide(string src, FileStatus ss, string dst, FileStatus? ds, CopyAction action, string? linkTarget)
    {
        if (ds is not { } existing)
        {
            Steps.Add(new CopyStep(action, src, dst, ss, null, linkTarget));
            return;
        }
        if (existing.IsDirectory)
        {
            if (_policy == OverwritePolicy.Skip) Steps.Add(new CopyStep(CopyAction.Skip, src, dst, ss, existing, null));
            else Conflicts.Add(dst); // never replace a directory with a file
            return;
        }
        switch (_policy)
        {
            case OverwritePolicy.Always:
                Steps.Add(new CopyStep(action, src, dst, ss, existing, linkTarget));
                break;
            case OverwritePolicy.Newer when ss.ModifyTime > existing.ModifyTime:
                Steps.Add(new CopyStep(action, src, dst, ss, existing, linkTarget));
                break;
            case OverwritePolicy.Newer or OverwritePolicy.Skip:
                Steps.Add(new CopyStep(CopyAction.Skip, src, dst, ss, existing, null));
                break;
            default:
                Conflicts.Add(dst);
                break;
        }
    }

    bool MetadataDiffers(FileStatus source, FileStatus dest, bool directory) =>
        _preserve && (source.Permissions != dest.Permissions || (!directory && source.ModifyTime != dest.ModifyTime)
            || (Resh.Core.Platform.LibC.GetEUid() == 0 && (source.Uid != dest.Uid || source.Gid != dest.Gid)));

    bool SameContent(string a, string b)
    {
        using var ha = Posix.OpenHandle(Posix.AT_FDCWD, a, Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out var ea) ?? throw FileErrors.Throw(ea, a, "read");
        using var hb = Posix.OpenHandle(Posix.AT_FDCWD, b, Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out var eb) ?? throw FileErrors.Throw(eb, b, "read");
        return FileCompare.SameBytes(ha, hb, cancellation: _ctx.Cancellation);
    }
}
