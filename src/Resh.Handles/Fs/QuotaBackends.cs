using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Fs;

/// <summary>
/// The two quota backends. Linux quota tools (ext4, xfs...): `repquota -O csv` to read (1 KiB blocks),
/// `setquota` to write. btrfs: qgroups through `btrfs qgroup show -reF --raw` and `btrfs qgroup limit`.
/// </summary>
public static class QuotaBackends
{
    public static readonly Arg<string?> Backend = Arg.Enum("backend", "auto: btrfs qgroups on btrfs, the quota tools elsewhere.", ["auto", "quota", "btrfs"], "auto");

    public static (string Path, MountEntry Mount, string Backend) Resolve(VerbContext ctx)
    {
        var path = FsPaths.Optional(ctx) ?? "/";
        if (!Path.Exists(path)) throw ReshError.NotFound($"{path} does not exist.", "Name a path on the file system.").ToException();
        var mount = MountTable.Containing(path, MountTable.Read()) ?? throw ReshError.NotFound($"No mount holds {path}.", null).ToException();
        var backend = ctx.Get(Backend)!;
        if (backend == "auto") backend = mount.FsType == "btrfs" ? "btrfs" : "quota";
        return (path, mount, backend);
    }

    static string Tool(string name, string package) => ProcessRunner.Which(name)
        ?? throw ReshError.Unavailable($"`{name}` is not installed.", $"Install {package}.").ToException();

    // ---- quota tools ------------------------------------------------------------------

    public static string[] RepquotaArgv(string kind, string mountPoint) => [Tool("repquota", "quota"), "-O", "csv", kind == "group" ? "-g" : "-u", mountPoint];

    public static async Task<List<FsQuota>> RepquotaAsync(string kind, string mountPoint, CancellationToken ct)
    {
        var argv = RepquotaArgv(kind, mountPoint);
        var r = await ProcessRunner.RunAsync(argv, null, ct).ConfigureAwait(false);
        if (!r.Succeeded)
            throw ReshError.Unsupported($"Quotas are not available on {mountPoint}: {r.LastErrorLine}",
                "Mount the file system with usrquota/grpquota and run quotacheck + quotaon; on btrfs use backend=btrfs.",
                new System.Text.Json.Nodes.JsonObject { ["command"] = string.Join(' ', argv) }).ToException();
        return ParseRepquotaCsv(r.Stdout, kind);
    }

    /// <summary>Parses `repquota -O csv` (header row, then name,blockstatus,filestatus,used,soft,hard,grace,files,fsoft,fhard,fgrace; blocks are KiB).</summary>
    public static List<FsQuota> ParseRepquotaCsv(string csv, string kind)
    {
        var list = new List<FsQuota>();
        foreach (var line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length < 11) continue;
            long L(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;
            long? Limit(string s) => L(s) is var v && v > 0 ? v : null;
            var grace = string.Join(' ', new[] { f[6], f[10] }.Where(g => g.Length > 0));
            list.Add(new FsQuota(kind, f[0], f[0].StartsWith('#') ? f[0][1..] : null, L(f[3]) * 1024, Limit(f[4]) * 1024, Limit(f[5]) * 1024,
                L(f[7]), Limit(f[8]), Limit(f[9]), null, grace.Length > 0 ? grace : null));
        }
        return list;
    }

    public static string[] SetquotaArgv(string kind, string name, long blockSoftKiB, long blockHardKiB, long inodeSoft, long inodeHard, string mountPoint) =>
        [Tool("setquota", "quota"), kind == "group" ? "-g" : "-u", "--", name,
         blockSoftKiB.ToString(CultureInfo.InvariantCulture), blockHardKiB.ToString(CultureInfo.InvariantCulture),
         inodeSoft.ToString(CultureInfo.InvariantCulture), inodeHard.ToString(CultureInfo.InvariantCulture), mountPoint];

    // ---- btrfs qgroups ----------------------------------------------------------------

    public static string[] QgroupShowArgv(string path, bool onlyThis) =>
        onlyThis ? [Tool("btrfs", "btrfs-progs"), "qgroup", "show", "-reF", "--raw", path] : [Tool("btrfs", "btrfs-progs"), "qgroup", "show", "-re", "--raw", path];

    public static async Task<List<FsQuota>?> QgroupsAsync(string path, bool onlyThis, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync(QgroupShowArgv(path, onlyThis), null, ct).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            if (r.Stderr.Contains("quotas not enabled", StringComparison.Ordinal)) return null;
            throw ReshError.Failed($"btrfs qgroup show failed: {r.LastErrorLine}", null).ToException();
        }
        return ParseQgroups(r.Stdout);
    }

    /// <summary>Parses `btrfs qgroup show -re --raw` (qgroupid rfer excl max_rfer max_excl path).</summary>
    public static List<FsQuota> ParseQgroups(string text)
    {
        var list = new List<FsQuota>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 5 || !f[0].Contains('/') || !char.IsAsciiDigit(f[0][0])) continue;
            long? Max(string s) => s == "none" ? null : long.Parse(s, CultureInfo.InvariantCulture);
            list.Add(new FsQuota("qgroup", f.Length > 5 ? string.Join(' ', f[5..]) : f[0], f[0], long.Parse(f[1], CultureInfo.InvariantCulture),
                null, Max(f[3]), null, null, null, long.Parse(f[2], CultureInfo.InvariantCulture), null));
        }
        return list;
    }
}
