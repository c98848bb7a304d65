using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>What installing a staged tree did (or, planned only, would do).</summary>
public sealed class MergePlan
{
    public List<string> Created { get; } = [];
    public List<string> Replaced { get; } = [];
    public List<string> Unchanged { get; } = [];
    public List<string> Skipped { get; } = [];
    public List<string> Conflicts { get; } = [];
    public List<(string From, string To, bool ReplaceExisting)> Moves { get; } = [];
    public List<(string Staged, string Target)> MetaUpdates { get; } = [];
    public bool Changes => Moves.Count > 0 || MetaUpdates.Count > 0;
}

/// <summary>
/// Installs a staged tree into the destination. A missing destination is one rename. An existing one
/// is merged under the overwrite policy (error: any differing path is a conflict and nothing is
/// touched; skip: keep what is there; replace: staged entries win). Identical files count as
/// unchanged, so extracting twice reports changed: false. Symlinks in the destination are never followed.
/// </summary>
public static class TreeMerger
{
    public static MergePlan Plan(string stage, string destination, string overwrite)
    {
        var plan = new MergePlan();
        PlanDir(stage, destination, "", overwrite, plan);
        return plan;
    }

    static void PlanDir(string stageDir, string destDir, string rel, string overwrite, MergePlan plan)
    {
        foreach (var staged in Directory.EnumerateFileSystemEntries(stageDir).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(staged);
            var childRel = rel.Length == 0 ? name : rel + "/" + name;
            var target = Path.Combine(destDir, name);
            var s = Posix.Stat(staged, follow: false, out _)!.Value;
            var d = Posix.Stat(target, follow: false, out _);
            if (d is null)
            {
                plan.Created.Add(childRel);
                plan.Moves.Add((staged, target, false));
                continue;
            }
            var t = d.Value;
            if (s.IsDirectory && t.IsDirectory)
            {
                if (s.Permissions != t.Permissions) plan.MetaUpdates.Add((staged, target));
                PlanDir(staged, target, childRel, overwrite, plan);
                continue;
            }
            if (Same(staged, s, target, t)) { plan.Unchanged.Add(childRel); continue; }
            switch (overwrite)
            {
                case "skip": plan.Skipped.Add(childRel); break;
                case "replace": plan.Replaced.Add(childRel); plan.Moves.Add((staged, target, true)); break;
                default: plan.Conflicts.Add(childRel); break;
            }
        }
    }

    static bool Same(string a, FileStatus sa, string b, FileStatus sb)
    {
        if (sa.FileType != sb.FileType) return false;
        if (sa.IsSymlink) return new FileInfo(a).LinkTarget == new FileInfo(b).LinkTarget;
        if (!sa.IsRegular) return false;
        return sa.Size == sb.Size && sa.Permissions == sb.Permissions && FileTree.SameContent(a, b);
    }

    /// <summary>Applies a plan: renames within one file system, so each path flips atomically.</summary>
    public static void Apply(MergePlan plan)
    {
        foreach (var (from, to, replace) in plan.Moves)
        {
            if (replace)
            {
                var existing = Posix.Stat(to, follow: false, out _);
                var incoming = Posix.Stat(from, follow: false, out _);
                // rename(2) replaces a file atomically; a directory on either side must go first.
                if (existing is { } e && (e.IsDirectory || incoming?.IsDirectory == true)) FileTree.Remove(to);
            }
            if (Posix.Stat(from, follow: false, out _) is { IsDirectory: true }) Directory.Move(from, to);
            else System.IO.File.Move(from, to, overwrite: replace);
        }
        foreach (var (staged, target) in plan.MetaUpdates)
        {
            var st = Posix.Stat(staged, follow: false, out _)!.Value;
            System.IO.File.SetUnixFileMode(target, (UnixFileMode)st.Permissions);
        }
    }

    public static ReshError ConflictError(string destination, MergePlan plan) =>
        ReshError.Conflict($"{plan.Conflicts.Count} path(s) in {destination} differ from the archive; nothing was extracted.",
            "Pass overwrite=replace to take the archive's version, or overwrite=skip to keep what is there.",
            new System.Text.Json.Nodes.JsonObject
            {
                ["conflicts"] = new System.Text.Json.Nodes.JsonArray(plan.Conflicts.Take(50).Select(c => (System.Text.Json.Nodes.JsonNode?)c).ToArray()),
                ["count"] = plan.Conflicts.Count,
            });
}
