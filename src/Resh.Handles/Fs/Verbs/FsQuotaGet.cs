using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Fs;

public static class FsQuotaGet
{
    internal static readonly Arg<string?> User = Arg.String("user", "User name (quota tools).");
    internal static readonly Arg<string?> Group = Arg.String("group", "Group name (quota tools).");

    public static readonly VerbInfo Verb = VerbInfo.Define("quota.get", Effect.Read,
        "Usage and limits of a user or group (quota tools), or of the btrfs subvolume at the path (qgroup).",
        [User, Group, QuotaBackends.Backend], () => FsJson.Default.FsQuotaResult, RunAsync,
        examples: [new("'fs:///home.quota.get(user=alice)'", "alice's usage and limits on /home."), new("fs:///mnt/pool/data.quota.get", "The qgroup of a btrfs subvolume.")],
        notes: "A user or group with no entry is reported with zero usage and no limits. On btrfs with quotas off the list is empty.");

    static async ValueTask<Outcome<FsQuotaResult>> RunAsync(VerbContext ctx)
    {
        var (path, mount, backend) = QuotaBackends.Resolve(ctx);
        if (backend == "btrfs")
        {
            var q = await QuotaBackends.QgroupsAsync(path, onlyThis: true, ctx.Cancellation).ConfigureAwait(false);
            var own = q?.Where(x => x.Id?.StartsWith("0/", StringComparison.Ordinal) == true).ToList() ?? [];
            return new FsQuotaResult(path, mount.MountPoint, backend, own, FsDescribe.Commands([QuotaBackends.QgroupShowArgv(path, true)]));
        }
        var (kind, name) = Subject(ctx);
        var all = await QuotaBackends.RepquotaAsync(kind, mount.MountPoint, ctx.Cancellation).ConfigureAwait(false);
        var mine = all.Where(x => x.Name == name).ToList();
        if (mine.Count == 0) mine.Add(new FsQuota(kind, name, null, 0, null, null, 0, null, null, null, null));
        return new FsQuotaResult(path, mount.MountPoint, backend, mine, FsDescribe.Commands([QuotaBackends.RepquotaArgv(kind, mount.MountPoint)]));
    }

    internal static (string Kind, string Name) Subject(VerbContext ctx)
    {
        var user = ctx.Get(User);
        var group = ctx.Get(Group);
        if ((user is null) == (group is null))
            throw ReshError.Usage("Give exactly one of user= or group=.", "Example: resh fs:///home.quota.get(user=alice)").ToException();
        var (kind, name) = user is not null ? ("user", user) : ("group", group!);
        // The name goes into setquota/repquota argv: never let it read as an option or carry control characters.
        if (name.Length == 0 || name.StartsWith('-') || name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            throw ReshError.Usage($"{kind}= must be a {kind} name or number, without a leading '-', spaces or control characters.", "Example: resh fs:///home.quota.get(user=alice)").ToException();
        return (kind, name);
    }
}
