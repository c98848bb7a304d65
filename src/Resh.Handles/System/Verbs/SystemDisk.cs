using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

public static class SystemDisk
{
    static readonly Arg<bool> All = Arg.Bool("all", "Include pseudo file systems (proc, sysfs, cgroup, ...) and those of size 0, as df -a.");
    static readonly Arg<string?> PathArg = Arg.String("path", "Only the file system that holds this path (like df PATH).", examples: ["/", "/var/lib/docker"], path: PathUse.Read);
    static readonly Arg<IReadOnlyList<string>> Type = Arg.List("type", "Only these file system types.", examples: ["ext4,xfs", "tmpfs"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("disk", Effect.Read,
        "Mounted file systems: size, used, free, available, inodes, type, device and options.",
        [All, PathArg, Type], () => SystemJson.Default.DiskResult, RunAsync, human: Human,
        examples: [new("system://.disk", "Every real mounted file system."), new("'system://.disk(path=/var)'", "The file system holding /var."),
            new("'system://.disk(type=ext4,xfs)'", "Only ext4 and xfs."), new("'system://.disk(all=true)'", "Pseudo file systems too.")],
        notes: "Mounts come from /proc/self/mountinfo and sizes from statvfs(3). A mount point mounted over is listed once, " +
               "with the file system visible there; as df does, a file system bind-mounted in several places is listed once unless all=true. Network file systems that do not answer within 2 s are listed with `error` set, never hang the call.");

    /// <summary>Kernel-internal file systems that hold no user data; df hides them too.</summary>
    static readonly HashSet<string> Pseudo = new(StringComparer.Ordinal)
    {
        "proc", "sysfs", "cgroup", "cgroup2", "devpts", "securityfs", "debugfs", "tracefs", "pstore", "bpf", "configfs", "fusectl",
        "mqueue", "hugetlbfs", "autofs", "binfmt_misc", "rpc_pipefs", "nsfs", "efivarfs", "selinuxfs", "devfs", "kernfs", "none", "ignore",
    };

    static readonly TimeSpan NetworkStatTimeout = TimeSpan.FromSeconds(2);

    static async ValueTask<Outcome<DiskResult>> RunAsync(VerbContext ctx)
    {
        string? realPath = null;
        if (ctx.Get(PathArg) is { } path)
        {
            realPath = RealPath.Resolve(Path.GetFullPath(path), out var errno);
            if (realPath is null)
                return errno == 13
                    ? ReshError.PermissionDenied($"Cannot resolve {path}: permission denied.", "Run as a user who may read the path.", new() { ["path"] = path })
                    : ReshError.NotFound($"The path {path} does not exist.", "Give an existing file or directory.", new() { ["path"] = path });
        }
        var result = await CollectAsync(ctx.Get(All), realPath, ctx.Get(Type), ctx.Cancellation).ConfigureAwait(false);
        return result is null
            ? ReshError.Unavailable("/proc/self/mountinfo cannot be read.", "Is /proc mounted?", new JsonObject { ["path"] = MountInfo.Path })
            : result;
    }

    public static async Task<DiskResult?> CollectAsync(bool all, string? realPath, IReadOnlyList<string> types, CancellationToken ct)
    {
        var text = ProcFile.ReadText(MountInfo.Path);
        if (text is null) return null;
        var mounts = Visible(MountInfo.Parse(text));
        if (realPath is not null)
        {
            var holder = mounts.Where(m => Contains(m.MountPoint, realPath)).MaxBy(m => m.MountPoint.Length);
            mounts = holder is null ? [] : [holder];
        }
        if (types.Count > 0) mounts = mounts.Where(m => types.Contains(m.FsType, StringComparer.Ordinal)).ToList();
        var explicitChoice = realPath is not null || types.Count > 0;
        if (!all && !explicitChoice) mounts = mounts.Where(m => !Pseudo.Contains(m.FsType)).ToList();
        if (!all) mounts = OnePerDevice(mounts);

        var stats = new FsStats?[mounts.Count];
        var errors = new string?[mounts.Count];
        var pending = new List<(int Index, Task<(FsStats? Stats, int Errno)> Task)>();
        for (int i = 0; i < mounts.Count; i++)
        {
            var point = mounts[i].MountPoint;
            if (IsNetwork(mounts[i].FsType))
            {
                // statvfs on a dead NFS server blocks in the kernel; ask on the thread pool and stop waiting at a deadline.
                pending.Add((i, Task.Run(() => (StatVfs.Get(point, out var e), e), CancellationToken.None)));
                continue;
            }
            stats[i] = StatVfs.Get(point, out var errno);
            if (stats[i] is null) errors[i] = ErrnoText(errno);
        }
        if (pending.Count > 0)
        {
            var deadline = Task.Delay(NetworkStatTimeout, ct);
            foreach (var (index, task) in pending)
            {
                if (await Task.WhenAny(task, deadline).ConfigureAwait(false) == task)
                {
                    var (s, e) = await task.ConfigureAwait(false);
                    stats[index] = s;
                    if (s is null) errors[index] = ErrnoText(e);
                }
                else
                {
                    ct.ThrowIfCancellationRequested();
                    errors[index] = $"no answer within {NetworkStatTimeout.TotalSeconds:0} s";
                }
            }
        }

        var rows = new List<FilesystemUsage>(mounts.Count);
        for (int i = 0; i < mounts.Count; i++)
        {
            // Like df: without all=true, file systems of size 0 (cgroup v1, sysfs-like) carry no space worth listing.
            if (!all && !explicitChoice && stats[i] is { Blocks: 0 }) continue;
            rows.Add(Describe(mounts[i], stats[i], errors[i]));
        }
        return new DiskResult(rows, rows.Count);
    }

    /// <summary>One entry per mount point: the last mounted is the one visible there (and the one statvfs sees).</summary>
    static List<MountEntry> Visible(List<MountEntry> mounts)
    {
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < mounts.Count; i++) last[mounts[i].MountPoint] = i;
        var visible = new List<MountEntry>(last.Count);
        for (int i = 0; i < mounts.Count; i++) if (last[mounts[i].MountPoint] == i) visible.Add(mounts[i]);
        return visible;
    }

    /// <summary>
    /// Bind mounts show the same file system again (containers bind /etc/hosts and friends); like df, keep one
    /// entry per device: the one nearest the root of the file system, then the shortest mount point.
    /// </summary>
    static List<MountEntry> OnePerDevice(List<MountEntry> mounts)
    {
        var best = new Dictionary<string, MountEntry>(StringComparer.Ordinal);
        foreach (var m in mounts)
        {
            if (!best.TryGetValue(m.MajorMinor, out var seen)
                || (m.Root.Length, m.MountPoint.Length).CompareTo((seen.Root.Length, seen.MountPoint.Length)) < 0)
                best[m.MajorMinor] = m;
        }
        return mounts.Where(m => ReferenceEquals(best[m.MajorMinor], m)).ToList();
    }

    static bool Contains(string mountPoint, string path) =>
        mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);

    static bool IsNetwork(string fsType) =>
        fsType.StartsWith("nfs", StringComparison.Ordinal) || fsType.StartsWith("fuse", StringComparison.Ordinal)
        || fsType is "cifs" or "smb3" or "smbfs" or "ceph" or "glusterfs" or "9p" or "afs" or "lustre" or "davfs" or "ncpfs";

    static string ErrnoText(int errno) => $"statvfs failed: {Resh.Core.Platform.Posix.StrError(errno)}";

    /// <summary>The table view: df -h with inodes.</summary>
    static string Human(DiskResult r)
    {
        var t = new TextColumns("MOUNT", "TYPE", "DEVICE", "SIZE", "USED", "AVAIL", "USE%", "IUSE%", "OPTIONS");
        foreach (var f in r.Filesystems)
            t.Add(f.MountPoint, f.Fstype, f.Device, Size(f.Size), Size(f.Used), Size(f.Available), Pct(f.UsedPercent), Pct(f.InodesUsedPercent),
                f.Error ?? (f.ReadOnly ? "ro" : "rw"));
        return t.Render();
    }

    static string? Size(long? bytes) => bytes is { } b ? SystemText.Size(b) : null;

    static string? Pct(double? p) => p is { } v ? SystemText.Number(v) + "%" : null;

    static FilesystemUsage Describe(MountEntry m, FsStats? s, string? error)
    {
        long? size = null, used = null, free = null, available = null, frsize = null, files = null, filesUsed = null, filesFree = null;
        double? usedPercent = null, inodesPercent = null;
        if (s is { } st)
        {
            size = (long)st.SizeBytes;
            used = (long)st.UsedBytes;
            free = (long)st.FreeBytes;
            available = (long)st.AvailableBytes;
            frsize = (long)st.FragmentSize;
            usedPercent = used + available > 0 ? SystemText.Percent(used.Value, used.Value + available.Value) : null;
            files = (long)st.Files;
            filesFree = (long)Math.Min(st.FilesFree, st.Files);
            filesUsed = files - filesFree;
            inodesPercent = files > 0 ? SystemText.Percent(filesUsed.Value, files.Value) : null;
        }
        return new FilesystemUsage(m.MountPoint, m.Source, m.FsType, m.MajorMinor, m.Root, m.Options, m.SuperOptions,
            m.ReadOnly || s is { ReadOnly: true }, size, used, free, available, usedPercent, frsize, files, filesUsed, filesFree, inodesPercent, error);
    }
}
