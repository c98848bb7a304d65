using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Snapshot;

/// <summary>Arguments shared by the snapshot verbs, and the target rules.</summary>
public static class SnapshotArgs
{
    public static readonly Arg<string?> Repo = Arg.String("repo", "Snapshot repository directory (default: the state directory's snapshots/).", path: PathUse.Read);
    public static readonly Arg<string?> Name = Arg.String("name", "Snapshot name.", required: true, examples: ["before-upgrade", "s1"]);

    /// <summary>The snapshot:// target: an absolute path of a directory tree.</summary>
    public static string Tree(VerbContext ctx, bool mustExist = true)
    {
        var t = ctx.Target;
        if (t.Length == 0) throw ReshError.Usage("The snapshot:// target is empty.", "Name the directory: snapshot:///etc/nginx.create(name=before)").ToException();
        if (t == "~" || t.StartsWith("~/", StringComparison.Ordinal)) t = Path.Combine(ctx.Runtime.Paths.Home, t.TrimStart('~').TrimStart('/'));
        var full = Path.GetFullPath(t);
        full = full.Length > 1 ? full.TrimEnd('/') : full;
        // By the name's exact bytes: a target such as snapshot:///srv/%FF (a name that is not UTF-8) is that directory.
        if (mustExist && Resh.Core.Platform.Posix.Stat(full, follow: true, out _) is not { IsDirectory: true })
            throw ReshError.NotFound($"{Resh.Core.Text.PathBytes.Display(full)} is not an existing directory.", "Snapshots capture directory trees; check the path (percent-escape bytes that are not UTF-8: %FF).").ToException();
        return full;
    }

    public static Manifest Find(SnapshotRepo repo, string tree, string name) =>
        repo.Load(tree, name) ?? throw ReshError.NotFound($"No snapshot `{name}` of {Resh.Core.Text.PathBytes.Display(tree)}.", $"List them: resh snapshot://{Resh.Core.Text.PathBytes.Display(tree)}.list",
            new System.Text.Json.Nodes.JsonObject { ["name"] = name, ["path"] = Resh.Core.Text.PathBytes.Display(tree) }).ToException();
}
