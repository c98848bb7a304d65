using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Fs;

public static class FsResizeVerb
{
    static readonly Arg<long?> Size = Arg.Size("size", "New file system size; default: fill the device.", examples: ["20GiB"]);
    static readonly Arg<bool> Force = Arg.Bool("force", "Allow shrinking (btrfs online; ext4 only unmounted; xfs never).");

    public static readonly VerbInfo Verb = VerbInfo.Define("resize", Effect.Mutate,
        "Grow a mounted ext4, xfs or btrfs file system to fill its device or to a size; shrink only where supported and only with force.",
        [Size, Force], () => FsJson.Default.FsResizeResult, RunAsync,
        examples: [new("fs:///mnt/data.resize", "Grow to fill the (enlarged) device."), new("'fs:///mnt/pool.resize(size=2GiB,force=true)'", "Shrink a btrfs pool.")],
        notes: "A loop device's capacity is refreshed first (losetup -c), so growing the image file and then resizing works. Already at the size asked is changed: false.",
        targetHelp: "The mount point of the file system.");

    static async ValueTask<Outcome<FsResizeResult>> RunAsync(VerbContext ctx)
    {
        var target = FsPaths.Required(ctx, "the mount point");
        var mount = MountTable.At(target, MountTable.Read());
        if (mount is null) return ReshError.NotFound($"Nothing is mounted at {target}.", "Mount the file system first; resize works on mounted file systems.");
        var before = FsDescribe.Usage(mount)?.Size ?? 0;
        var size = ctx.Get(Size);
        var shrinking = size is { } s0 && s0 < before;
        if (shrinking && !ctx.Get(Force)) return ReshError.Conflict($"{SizeText(size!.Value)} is smaller than the current {SizeText(before)}.", "Shrinking can lose data: pass force=true if you mean it.");
        var commands = new List<string[]>();
        if (MountTable.LoopBackingFile(mount.Source) is not null) commands.Add(["losetup", "-c", mount.Source]);
        switch (mount.FsType)
        {
            case "ext4" or "ext3" or "ext2":
                if (shrinking) return ReshError.Unsupported("ext4 cannot shrink while mounted.", "Unmount it and run resize2fs offline.");
                commands.Add(size is { } se ? ["resize2fs", mount.Source, (se / 1024).ToString(CultureInfo.InvariantCulture) + "K"] : ["resize2fs", mount.Source]);
                break;
            case "xfs":
                if (shrinking) return ReshError.Unsupported("xfs cannot shrink.", "Copy the data to a smaller file system.");
                var bsize = (long)(Resh.Handles.Storage.NativeFs.StatVfs(target, out _)?.Bsize ?? 4096);
                commands.Add(size is { } sx ? ["xfs_growfs", "-D", (sx / bsize).ToString(CultureInfo.InvariantCulture), target] : ["xfs_growfs", target]);
                break;
            case "btrfs":
                commands.Add(["btrfs", "filesystem", "resize", size is { } sb ? sb.ToString(CultureInfo.InvariantCulture) : "max", target]);
                break;
            default:
                return ReshError.Unsupported($"resize supports ext4, xfs and btrfs, not {mount.FsType}.", null);
        }
        if (ctx.DryRun)
            return Outcome.Changed(new FsResizeResult(target, mount.Source, mount.FsType, before, size, FsDescribe.Commands(commands)), size != before);
        foreach (var c in commands) await FsMountVerb.Run(c, ctx.Cancellation).ConfigureAwait(false);
        var after = FsDescribe.Usage(MountTable.At(target, MountTable.Read())!)?.Size ?? before;
        return Outcome.Changed(new FsResizeResult(target, mount.Source, mount.FsType, before, after, FsDescribe.Commands(commands)), after != before);
    }

    static string SizeText(long b) => Resh.Core.Values.SizeValue.Human(b);
}
