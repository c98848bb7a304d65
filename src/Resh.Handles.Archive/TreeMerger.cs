using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Text;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>What installing a staged tree did (or, planned only, would do). Paths are relative to the destination.</summary>
public sealed class MergePlan
{
    public List<string> Created { get; } = [];
    public List<string> Replaced { get; } = [];
    public List<string> Unchanged { get; } = [];
    public List<string> Skipped { get; } = [];
    public List<string> Conflicts { get; } = [];
    public List<(string Rel, bool ReplaceExisting)> Moves { get; } = [];
    public List<(string Rel, uint Mode)> MetaUpdates { get; } = [];
    public bool Changes => Moves.Count > 0 || MetaUpdates.Count > 0;
}

/// <summary>
/// Installs a staged tree into an existing destination, by directory handle: both trees are walked
/// with openat(O_NOFOLLOW), so a symlink in the destination is never followed (it is a path that
/// differs, decided by the overwrite policy). Policies: error (any differing path is a conflict and
/// nothing is touched), skip (keep what is there), replace (staged entries win). Identical files count
/// as unchanged, so extracting twice reports changed: false.
/// </summary>
public static class TreeMerger
{
    public static MergePlan Plan(int stageFd, int destFd, string overwrite)
    {
        var plan = new MergePlan();
        PlanDir(stageFd, destFd, "", overwrite, plan);
        return plan;
    }

    static void PlanDir(int stageDir, int destDir, string rel, string overwrite, MergePlan plan)
    {
        var names = AtCalls.ReadDir(stageDir, out var errno) ?? throw ExceptionTranslation.FromErrno(errno, " (staging directory)").ToException();
        names.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var (name, _) in names)
        {
            var childRel = rel.Length == 0 ? name : rel + "/" + name;
            var s = AtCalls.StatAt(stageDir, name, false, out _);
            if (s is null) continue;
            var d = AtCalls.StatAt(destDir, name, false, out _);
            if (d is null)
            {
                plan.Created.Add(childRel);
                plan.Moves.Add((childRel, false));
                continue;
            }
            var sv = s.Value;
            var t = d.Value;
            if (sv.IsDirectory && t.IsDirectory)
            {
                if (sv.Permissions != t.Permissions) plan.MetaUpdates.Add((childRel, sv.Permissions));
                var sfd = AtCalls.OpenAt(stageDir, name, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
                var dfd = AtCalls.OpenAt(destDir, name, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
                try
                {
                    if (sfd < 0) throw ArchiveErrors.FromErrno(-sfd, childRel).ToException();
                    if (dfd < 0) throw ArchiveErrors.FromErrno(-dfd, childRel).ToException();
                    PlanDir(sfd, dfd, childRel, overwrite, plan);
                }
                finally
                {
                    AtCalls.Close(sfd);
                    AtCalls.Close(dfd);
                }
                continue;
            }
            if (Same(stageDir, destDir, name, sv, t)) { plan.Unchanged.Add(childRel); continue; }
            switch (overwrite)
            {
                case "skip": plan.Skipped.Add(childRel); break;
                case "replace": plan.Replaced.Add(childRel); plan.Moves.Add((childRel, true)); break;
                default: plan.Conflicts.Add(childRel); break;
            }
        }
    }

    static bool Same(int stageDir, int destDir, string name, FileStatus s, FileStatus d)
    {
        if (s.FileType != d.FileType) return false;
        if (s.IsSymlink) return AtCalls.ReadLinkAt(stageDir, name, out _) == AtCalls.ReadLinkAt(destDir, name, out _);
        // A FIFO (or device node) holds no content: the same type, mode (and device number) is the same entry, as tar -d sees it.
        if (s.FileType is FileStatus.S_IFIFO) return s.Permissions == d.Permissions;
        if (s.FileType is FileStatus.S_IFCHR or FileStatus.S_IFBLK)
            return s.Permissions == d.Permissions && s.RdevMajor == d.RdevMajor && s.RdevMinor == d.RdevMinor;
        if (!s.IsRegular) return false;
        return s.Size == d.Size && s.Permissions == d.Permissions && FdTree.SameContent(stageDir, name, destDir, name);
    }

    /// <summary>Applies a plan with renameat between the two trees' directory handles (one file system, so each path flips atomically).</summary>
    public static void Apply(int stageFd, int destFd, MergePlan plan)
    {
        foreach (var (rel, replace) in plan.Moves)
        {
            var (parent, leaf) = Split(rel);
            var sp = Open(stageFd, parent);
            var dp = Open(destFd, parent);
            try
            {
                if (replace)
                {
                    var existing = AtCalls.StatAt(dp, leaf, false, out _);
                    var incoming = AtCalls.StatAt(sp, leaf, false, out _);
                    // rename(2) replaces a file atomically; a directory on either side must go first.
                    if (existing is { } e && (e.IsDirectory || incoming?.IsDirectory == true))
                    {
                        var rm = FdTree.Remove(dp, leaf);
                        if (rm != 0) throw ArchiveErrors.FromErrno(rm, rel).ToException();
                    }
                }
                var rc = AtCalls.RenameAt(sp, leaf, dp, leaf, noReplace: !replace);
                if (rc != 0) throw ArchiveErrors.FromErrno(rc, rel).ToException();
            }
            finally
            {
                if (sp != stageFd) AtCalls.Close(sp);
                if (dp != destFd) AtCalls.Close(dp);
            }
        }
        foreach (var (rel, mode) in plan.MetaUpdates)
        {
            var fd = AtCalls.OpenBeneath(destFd, rel, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
            if (fd < 0) continue;
            AtCalls.FChmod(fd, mode);
            AtCalls.Close(fd);
        }
    }

    static int Open(int root, string rel)
    {
        if (rel.Length == 0) return root;
        var fd = AtCalls.OpenBeneath(root, rel, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
        if (fd < 0) throw ArchiveErrors.FromErrno(-fd, rel).ToException();
        return fd;
    }

    static (string Parent, string Leaf) Split(string rel)
    {
        var slash = rel.LastIndexOf('/');
        return slash < 0 ? ("", rel) : (rel[..slash], rel[(slash + 1)..]);
    }

    public static ReshError ConflictError(string destination, MergePlan plan, bool dryRun = false) =>
        ReshError.Conflict($"{plan.Conflicts.Count} path(s) in {PathBytes.Display(destination)} differ from the archive; {(dryRun ? "a real run would extract nothing" : "nothing was extracted")}.",
            "Pass overwrite=replace to take the archive's version, or overwrite=skip to keep what is there.",
            new System.Text.Json.Nodes.JsonObject
            {
                ["conflicts"] = new System.Text.Json.Nodes.JsonArray(plan.Conflicts.Take(50).Select(c => (System.Text.Json.Nodes.JsonNode?)PathBytes.Display(c)).ToArray()),
                ["count"] = plan.Conflicts.Count,
            });
}
