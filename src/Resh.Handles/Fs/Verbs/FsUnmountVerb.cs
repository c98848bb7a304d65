using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Fs;

public static class FsUnmountVerb
{
    static readonly Arg<bool> Lazy = Arg.Bool("lazy", "Detach now and clean up when no longer busy (umount -l).");
    static readonly Arg<bool> Persist = Arg.Bool("persist", "Also remove the mount point's line from fstab.");
    static readonly Arg<bool> Force = Arg.Bool("force", "Allow unmounting /, /proc, /sys, /dev (and what lies directly on them: /dev/pts, /sys/fs/cgroup...).");

    public static readonly VerbInfo Verb = VerbInfo.Define("unmount", Effect.Mutate,
        "Unmount a mount point (its loop device is released); not mounted is changed: false.",
        [Lazy, Persist, FsMountVerb.FstabPath, Force], () => FsJson.Default.FsMountResult, RunAsync,
        examples: [new("fs:///mnt/scratch.unmount", "Unmount /mnt/scratch."), new("'fs:///mnt/img.unmount(persist=true)'", "And drop it from /etc/fstab.")],
        targetHelp: "The mount point.");

    static async ValueTask<Outcome<FsMountResult>> RunAsync(VerbContext ctx)
    {
        var target = FsPaths.ForTool(FsPaths.Required(ctx, "the mount point"), "umount");
        if (!ctx.Get(Force) && IsSystemMount(target))
            return ReshError.Conflict($"Refusing to unmount {target}: the system needs it.", "Pass force=true if you really mean it (in a private mount namespace, for instance).",
                new System.Text.Json.Nodes.JsonObject { ["mount_point"] = target });
        var current = MountTable.At(target, MountTable.Read());
        var commands = new List<string[]>();
        if (current is not null) commands.Add(ctx.Get(Lazy) ? ["umount", "-l", target] : ["umount", target]);
        string? fstab = null, diff = null;
        if (ctx.Get(Persist))
        {
            fstab = FsPaths.Absolute(ctx.Get(FsMountVerb.FstabPath)!, ctx);
            var (old, updated) = Fstab.Plan(fstab, target, null);
            diff = Fstab.Apply(fstab, old, updated, ctx.DryRun);
        }
        if (!ctx.DryRun)
            foreach (var c in commands) await FsMountVerb.Run(c, ctx.Cancellation).ConfigureAwait(false);
        var still = !ctx.DryRun && MountTable.At(target, MountTable.Read()) is not null;
        return Outcome.Changed(new FsMountResult(target, current?.Source, current?.FsType, current?.Options.Split(',') ?? [], still, fstab, diff,
            FsDescribe.Commands(commands)), commands.Count > 0 || diff is not null);
    }

    /// <summary>/, /proc, /sys and /dev, and the kernel file systems mounted on them (/dev/pts, /dev/shm, /sys/fs/cgroup...).</summary>
    internal static bool IsSystemMount(string target) =>
        target is "/" or "/proc" or "/sys" or "/dev" or "/run" or "/dev/pts" or "/dev/shm" or "/dev/mqueue" or "/sys/fs/cgroup" or "/proc/sys/fs/binfmt_misc";

    /// <summary>A hint that runs as written: unmount a mount point first, unless it is one the system needs
    /// (unmounting / would be refused, and should be), where <paramref name="instead"/> is given.</summary>
    internal static string UnmountFirstHint(string mountPoint, string instead) =>
        IsSystemMount(mountPoint) ? instead : $"Unmount it first: resh fs://{mountPoint}.unmount";
}
