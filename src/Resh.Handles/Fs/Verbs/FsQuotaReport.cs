using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Fs;

public static class FsQuotaReport
{
    static readonly Arg<string?> Kind = Arg.Enum("kind", "Which quotas (quota tools): user, group or both.", ["user", "group", "both"], "both");

    public static readonly VerbInfo Verb = VerbInfo.Define("quota.report", Effect.Read,
        "Every user and group quota on a file system (quota tools), or every qgroup of a btrfs file system.",
        [Kind, QuotaBackends.Backend], () => FsJson.Default.FsQuotaResult, RunAsync,
        examples: [new("fs:///home.quota.report", "All user and group quotas on /home."), new("fs:///mnt/pool.quota.report", "All qgroups of a btrfs pool.")]);

    static async ValueTask<Outcome<FsQuotaResult>> RunAsync(VerbContext ctx)
    {
        var (path, mount, backend) = QuotaBackends.Resolve(ctx);
        if (backend == "btrfs")
        {
            var q = await QuotaBackends.QgroupsAsync(mount.MountPoint, onlyThis: false, ctx.Cancellation).ConfigureAwait(false) ?? [];
            return new FsQuotaResult(path, mount.MountPoint, backend, q, FsDescribe.Commands([QuotaBackends.QgroupShowArgv(mount.MountPoint, false)]));
        }
        var kinds = ctx.Get(Kind) == "both" ? new[] { "user", "group" } : [ctx.Get(Kind)!];
        var all = new List<FsQuota>();
        var commands = new List<string[]>();
        foreach (var k in kinds)
        {
            all.AddRange(await QuotaBackends.RepquotaAsync(k, mount.MountPoint, ctx.Cancellation).ConfigureAwait(false));
            commands.Add(QuotaBackends.RepquotaArgv(k, mount.MountPoint));
        }
        return new FsQuotaResult(path, mount.MountPoint, backend, all, FsDescribe.Commands(commands));
    }
}
