using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Fs;

public static class FsMountsVerb
{
    static readonly Arg<IReadOnlyList<string>> Types = Arg.List("types", "Only these file system types.", examples: ["ext4,btrfs"]);
    static readonly Arg<string?> Source = Arg.String("source", "Only mounts of this source (device, image's loop device, tmpfs name).");
    static readonly Arg<bool> All = Arg.Bool("all", "Include pseudo file systems (proc, sysfs, cgroup...).", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("mounts", Effect.Read,
        "List mounts from /proc/self/mountinfo, filtered by type, source or place (the target, when given, is a directory prefix).",
        [Types, Source, All], () => FsJson.Default.FsMountsResult, Run,
        examples: [new("'fs://.mounts(types=ext4,xfs,btrfs)'", "Disk file systems."), new("fs:///mnt.mounts", "Everything mounted under /mnt.")]);

    static Outcome<FsMountsResult> Run(VerbContext ctx)
    {
        var under = FsPaths.Optional(ctx);
        var types = ctx.Get(Types);
        var source = ctx.Get(Source);
        var list = MountTable.Read().Where(m =>
                (under is null || under == "/" || m.MountPoint == under || m.MountPoint.StartsWith(under + "/", StringComparison.Ordinal))
                && (types.Count == 0 || types.Contains(m.FsType))
                && (source is null || m.Source == source || MountTable.LoopBackingFile(m.Source) == source)
                && (ctx.Get(All) || !m.IsPseudo))
            .Select(FsDescribe.Mount).ToList();
        return new FsMountsResult(list.Count, list);
    }
}
