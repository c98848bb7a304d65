using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Fs;

public static class FsCheckVerb
{
    static readonly Arg<bool> Repair = Arg.Bool("repair", "Fix what the check finds (default: read-only, nothing is written).");
    static readonly Arg<string?> FsType = Arg.String("fstype", "File system type; default: detected with blkid.");

    public static readonly VerbInfo Verb = VerbInfo.Define("check", Effect.Mutate,
        "Check an unmounted file system (fsck): read-only unless repair=true.",
        [Repair, FsType], () => FsJson.Default.FsCheckResult, RunAsync,
        examples: [new("fs:///dev/sdb1.check", "Read-only check."), new("'fs:///srv/disk.img.check(repair=true)'", "Check and repair an image file.")],
        notes: "ext2/3/4: e2fsck -f -n (repair: -f -y); xfs: xfs_repair -n (repair: xfs_repair); btrfs: btrfs check --readonly (repair: --repair). " +
               "A mounted file system is refused with `conflict`. Problems found by a read-only check are a `failed` error whose details hold the checker's output.",
        targetHelp: "The device or image file.");

    static async ValueTask<Outcome<FsCheckResult>> RunAsync(VerbContext ctx)
    {
        var device = FsPaths.Required(ctx, "the device or image file");
        if (!System.IO.File.Exists(device)) return ReshError.NotFound($"{device} does not exist.", "Name a block device or an image file.");
        var mounts = MountTable.Read();
        if (mounts.FirstOrDefault(m => m.Source == device || MountTable.LoopBackingFile(m.Source) == device) is { } mounted)
            return ReshError.Conflict($"{device} is mounted at {mounted.MountPoint}.", FsUnmountVerb.UnmountFirstHint(mounted.MountPoint,
                $"{mounted.MountPoint} holds the running system and cannot be unmounted: check it at the next boot (touch /forcefsck, or fsck.mode=force on the kernel command line) or from a rescue system."));
        var type = ctx.Get(FsType) ?? (await BlockIds.ProbeAsync(device, ctx.Cancellation).ConfigureAwait(false)).GetValueOrDefault("TYPE");
        if (type is null) return ReshError.Failed($"No file system found on {device}.", "Pass fstype= if blkid cannot tell.");
        var repair = ctx.Get(Repair);
        string[] argv = type switch
        {
            "ext2" or "ext3" or "ext4" => repair ? ["e2fsck", "-f", "-y", device] : ["e2fsck", "-f", "-n", device],
            "xfs" => repair ? ["xfs_repair", device] : ["xfs_repair", "-n", device],
            "btrfs" => repair ? ["btrfs", "check", "--repair", "--force", device] : ["btrfs", "check", "--readonly", device],
            _ => throw ReshError.Unsupported($"check supports ext2/3/4, xfs and btrfs, not {type}.", null).ToException(),
        };
        if (ctx.DryRun) return Outcome.Changed(new FsCheckResult(device, type, true, false, 0, FsDescribe.Commands([argv]), ""), repair);
        var exe = ProcessRunner.Which(argv[0]) ?? throw ReshError.Unavailable($"`{argv[0]}` is not installed.", "Install e2fsprogs, xfsprogs or btrfs-progs.").ToException();
        var r = await ProcessRunner.RunAsync([exe, .. argv[1..]], null, ctx.Cancellation).ConfigureAwait(false);
        var output = Tail(r.Stdout + r.Stderr, 2000);
        // e2fsck: 0 clean, 1/2 corrected, 4 left uncorrected, 8+ operational error. xfs_repair -n and btrfs check: non-zero = problems.
        bool operational = type.StartsWith("ext", StringComparison.Ordinal) ? r.ExitCode >= 8 : false;
        bool repaired = repair && (type.StartsWith("ext", StringComparison.Ordinal) ? r.ExitCode is 1 or 2 or 3 : r.ExitCode == 0 && output.Contains("fix", StringComparison.OrdinalIgnoreCase));
        bool clean = r.ExitCode == 0 || (repair && repaired);
        var cmds = FsDescribe.Commands([argv]);
        if (operational)
            return ReshError.Failed($"{argv[0]} could not check {device} (exit {r.ExitCode}).", null, new System.Text.Json.Nodes.JsonObject { ["exit_code"] = r.ExitCode, ["output"] = output });
        if (!clean)
            return ReshError.Failed($"{device} has file system errors{(repair ? " that were not all fixed" : "")}.", repair ? "Back up what you can and recreate the file system." : "Run again with repair=true (unmounted).",
                new System.Text.Json.Nodes.JsonObject { ["exit_code"] = r.ExitCode, ["fstype"] = type, ["output"] = output });
        return Outcome.Changed(new FsCheckResult(device, type, r.ExitCode == 0 && !repaired, repaired, r.ExitCode, cmds, output), repaired);
    }

    static string Tail(string s, int max) => s.Length <= max ? s : s[^max..];
}
