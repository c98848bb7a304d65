using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Fs;

public static class FsQuotaSet
{
    static readonly Arg<long?> Soft = Arg.Size("soft", "Soft space limit (quota tools); 0 removes it.");
    static readonly Arg<long?> Hard = Arg.Size("hard", "Hard space limit (quota tools), or the btrfs qgroup's referenced-bytes limit; 0 removes it.", aliases: ["limit"]);
    static readonly Arg<long?> FilesSoft = Arg.Int("files_soft", "Soft limit on files (inodes); 0 removes it.", min: 0);
    static readonly Arg<long?> FilesHard = Arg.Int("files_hard", "Hard limit on files (inodes); 0 removes it.", min: 0);

    public static readonly VerbInfo Verb = VerbInfo.Define("quota.set", Effect.Mutate,
        "Set a user's or group's limits (quota tools), or a btrfs subvolume's qgroup limit; unchanged limits are changed: false.",
        [FsQuotaGet.User, FsQuotaGet.Group, Soft, Hard, FilesSoft, FilesHard, QuotaBackends.Backend], () => FsJson.Default.FsQuotaResult, RunAsync,
        examples:
        [
            new("'fs:///home.quota.set(user=alice,soft=9GiB,hard=10GiB)'", "Limit alice on /home."),
            new("'fs:///mnt/pool/data.quota.set(hard=10GiB)'", "Limit a btrfs subvolume (enables quotas on the file system when needed)."),
        ],
        notes: "Limits not given keep their current value. Space limits go to the quota tools in KiB (rounded up).");

    static async ValueTask<Outcome<FsQuotaResult>> RunAsync(VerbContext ctx)
    {
        var (path, mount, backend) = QuotaBackends.Resolve(ctx);
        var commands = new List<string[]>();
        if (backend == "btrfs")
        {
            var limit = ctx.Get(Hard) ?? throw ReshError.Usage("btrfs qgroups take one limit: hard=SIZE (0 removes it).", null).ToException();
            var btrfs = ProcessRunner.Which("btrfs") ?? throw ReshError.Unavailable("`btrfs` is not installed.", "Install btrfs-progs.").ToException();
            var current = await QuotaBackends.QgroupsAsync(path, onlyThis: true, ctx.Cancellation).ConfigureAwait(false);
            if (current is null) commands.Add([btrfs, "quota", "enable", mount.MountPoint]);
            var own = current?.FirstOrDefault(q => q.Id?.StartsWith("0/", StringComparison.Ordinal) == true);
            if (current is null || (own?.HardLimit ?? 0) != limit)
                commands.Add([btrfs, "qgroup", "limit", limit == 0 ? "none" : limit.ToString(System.Globalization.CultureInfo.InvariantCulture), path]);
            if (!ctx.DryRun) foreach (var c in commands) await FsMountVerb.Run(c, ctx.Cancellation).ConfigureAwait(false);
            var after = ctx.DryRun ? current ?? [] : await QuotaBackends.QgroupsAsync(path, true, ctx.Cancellation).ConfigureAwait(false) ?? [];
            return Outcome.Changed(new FsQuotaResult(path, mount.MountPoint, backend, after.Where(q => q.Id?.StartsWith("0/", StringComparison.Ordinal) == true).ToList(),
                FsDescribe.Commands(commands)), commands.Count > 0);
        }
        var (kind, name) = FsQuotaGet.Subject(ctx);
        var now = (await QuotaBackends.RepquotaAsync(kind, mount.MountPoint, ctx.Cancellation).ConfigureAwait(false)).FirstOrDefault(q => q.Name == name);
        static long KiB(long bytes) => (bytes + 1023) / 1024;
        var bs = ctx.Get(Soft) is { } s ? KiB(s) : (now?.SoftLimit ?? 0) / 1024;
        var bh = ctx.Get(Hard) is { } h ? KiB(h) : (now?.HardLimit ?? 0) / 1024;
        var fs = ctx.Get(FilesSoft) ?? now?.FileSoftLimit ?? 0;
        var fh = ctx.Get(FilesHard) ?? now?.FileHardLimit ?? 0;
        var same = now is not null && (now.SoftLimit ?? 0) / 1024 == bs && (now.HardLimit ?? 0) / 1024 == bh && (now.FileSoftLimit ?? 0) == fs && (now.FileHardLimit ?? 0) == fh;
        if (!same) commands.Add(QuotaBackends.SetquotaArgv(kind, name, bs, bh, fs, fh, mount.MountPoint));
        if (!ctx.DryRun) foreach (var c in commands) await FsMountVerb.Run(c, ctx.Cancellation).ConfigureAwait(false);
        var result = new FsQuota(kind, name, now?.Id, now?.Used ?? 0, bs > 0 ? bs * 1024 : null, bh > 0 ? bh * 1024 : null, now?.Files ?? 0,
            fs > 0 ? fs : null, fh > 0 ? fh : null, null, now?.Grace);
        return Outcome.Changed(new FsQuotaResult(path, mount.MountPoint, backend, [result], FsDescribe.Commands(commands)), commands.Count > 0);
    }
}
