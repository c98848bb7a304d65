using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Fs;

public static class FsUsageVerb
{
    static readonly Arg<bool> All = Arg.Bool("all", "Include pseudo and zero-size file systems (proc, sysfs, cgroup...), as df -a.");
    static readonly Arg<long?> MinUsed = Arg.Int("min_used_percent", "Only file systems at least this full (space or inodes), for alerting.", min: 0, max: 100);
    static readonly Arg<IReadOnlyList<string>> Types = Arg.List("types", "Only these file system types.", examples: ["ext4,xfs"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("usage", Effect.Read,
        "Space and inodes per mounted file system, or for the one holding a path (like df).",
        [All, MinUsed, Types], () => FsJson.Default.FsUsageResult, Run,
        examples:
        [
            new("fs://.usage", "Every real file system."),
            new("fs:///var.usage", "The file system holding /var."),
            new("'fs://.usage(min_used_percent=90)'", "Only file systems at least 90% full."),
        ]);

    static Outcome<FsUsageResult> Run(VerbContext ctx)
    {
        var path = FsPaths.Optional(ctx);
        var mounts = MountTable.Read();
        IEnumerable<MountEntry> selected;
        if (path is not null)
        {
            if (Resh.Core.Platform.Posix.Stat(path, follow: true, out _) is null) // the exact bytes, not Path.Exists (UTF-8 only)
            return ReshError.NotFound($"{Resh.Core.Text.PathBytes.Display(path)} does not exist.", "Name an existing path.");
            selected = MountTable.Containing(path, mounts) is { } m ? [m] : [];
        }
        else
        {
            // One line per mount point (the top one), as df does.
            selected = mounts.GroupBy(m => m.MountPoint).Select(g => g.Last()).Where(m => ctx.Get(All) || !m.IsPseudo);
        }
        var types = ctx.Get(Types);
        var min = ctx.Get(MinUsed);
        var list = new List<FsUsage>();
        foreach (var m in selected)
        {
            if (types.Count > 0 && !types.Contains(m.FsType)) continue;
            var u = FsDescribe.Usage(m);
            if (u is null) continue;
            if (path is null && !ctx.Get(All) && u.Size == 0) continue;
            if (min is { } limit && u.UsedPercent < limit && (u.InodesUsedPercent ?? 0) < limit) continue;
            list.Add(u);
        }
        return new FsUsageResult(list);
    }
}
