using System.Globalization;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

public sealed class SystemDiskTests
{
    const string DfColumns = "--output=source,fstype,size,used,avail,itotal,iused,iavail,target";

    sealed record DfRow(string Source, string Type, long Size, long Used, long Avail, long Inodes, long IUsed, long IAvail, string Target);

    static List<DfRow> ParseDf(string text) =>
        text.Split('\n').Skip(1).Where(l => l.Trim().Length > 0).Select(l =>
        {
            var f = l.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long N(string s) => s == "-" ? 0 : long.Parse(s, CultureInfo.InvariantCulture);
            // The target is last and may itself contain spaces.
            return new DfRow(f[0], f[1], N(f[2]), N(f[3]), N(f[4]), N(f[5]), N(f[6]), N(f[7]), string.Join(' ', f[8..]));
        }).ToList();

    static JsonNode Entry(ReshRun run, string mountPoint) =>
        run.Result!["filesystems"]!.AsArray().FirstOrDefault(f => f!["mount_point"]!.GetValue<string>() == mountPoint)
        ?? throw new Xunit.Sdk.XunitException($"{mountPoint} is not listed: {run.Stdout}");

    [Fact]
    public void Disk_lists_the_same_mount_points_as_df()
    {
        // Both read the mount table of a private mount namespace, so mounts made meanwhile by other programs do not
        // reach it. A mount point that another test deletes is still detached from every namespace (Linux detaches
        // mounts on a removed directory), so df runs before and after resh: what resh lists must hold every mount
        // point both df runs saw, and nothing neither saw.
        var run = Tools.ReshInScript($"df -B1 {DfColumns} >&2; echo ---- >&2; rc=0; \"$1\" system://.disk || rc=$?; echo ---- >&2; df -B1 {DfColumns} >&2; exit $rc");
        Assert.True(run.Ok, run.ToString());
        var parts = run.Stderr.Split("----\n");
        Assert.True(parts.Length == 3, run.ToString());
        var before = ParseDf(parts[0]).Select(d => d.Target).ToHashSet();
        var after = ParseDf(parts[2]).Select(d => d.Target).ToHashSet();
        var ours = run.Result!["filesystems"]!.AsArray().Select(f => f!["mount_point"]!.GetValue<string>()).ToHashSet();
        Assert.Empty(before.Intersect(after).Except(ours));
        Assert.Empty(ours.Except(before.Union(after)));
        Assert.Contains("/", ours);
        Assert.Equal(ours.Count, run.Result!["count"]!.GetValue<int>());
    }

    [Fact]
    public void Disk_sizes_and_inodes_of_the_root_file_system_match_df()
    {
        var run = ReshBinary.Run("system://.disk", "path=/");
        var df = ParseDf(Tools.Ok("df", "-B1", DfColumns, "/")).Single();
        var root = Entry(run, "/");
        Assert.Equal(df.Size, root["size"]!.GetValue<long>());
        Assert.Equal(df.Type, root["fstype"]!.GetValue<string>());
        Assert.Equal(df.Source, root["device"]!.GetValue<string>());
        Assert.Equal(df.Inodes, root["inodes_total"]!.GetValue<long>());
        // Used space and inodes move while other programs write; 1 GiB and 10000 inodes are far below a unit mistake.
        Assert.InRange(root["used"]!.GetValue<long>(), df.Used - (1L << 30), df.Used + (1L << 30));
        Assert.InRange(root["available"]!.GetValue<long>(), df.Avail - (1L << 30), df.Avail + (1L << 30));
        Assert.InRange(root["inodes_used"]!.GetValue<long>(), df.IUsed - 10000, df.IUsed + 10000);
    }

    [Fact]
    public void Disk_block_size_and_totals_match_stat_f()
    {
        var run = ReshBinary.Run("system://.disk", "path=/");
        // stat -f: %S fundamental block size, %b total blocks, %c total inodes (an independent statfs reader).
        var f = Tools.Ok("stat", "-f", "-c", "%S %b %c", "/").Trim().Split(' ').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var root = Entry(run, "/");
        Assert.Equal(f[0], root["block_size"]!.GetValue<long>());
        Assert.Equal(f[0] * f[1], root["size"]!.GetValue<long>());
        Assert.Equal(f[2], root["inodes_total"]!.GetValue<long>());
    }

    [Fact]
    public void A_tmpfs_mounted_at_a_path_with_a_space_is_reported_with_its_exact_size_inodes_and_options()
    {
        using var dir = new TempDir("disk");
        var point = Path.Combine(dir.Path, "with space");
        Directory.CreateDirectory(point);
        // A private mount namespace: the mount disappears with the namespace, even if the test dies.
        var run = Tools.ReshInScript(
            "mount -t tmpfs -o size=8m,nr_inodes=1000,ro,noexec resh-disk-test \"$2\"; exec \"$1\" system://.disk \"path=$2\"", point);
        Assert.True(run.Ok, run.ToString());
        var fs = Entry(run, point);
        Assert.Equal("tmpfs", fs["fstype"]!.GetValue<string>());
        Assert.Equal("resh-disk-test", fs["device"]!.GetValue<string>());
        Assert.Equal(8L << 20, fs["size"]!.GetValue<long>());
        Assert.Equal(0, fs["used"]!.GetValue<long>());
        Assert.Equal(1000, fs["inodes_total"]!.GetValue<long>());
        Assert.True(fs["read_only"]!.GetValue<bool>());
        var options = fs["options"]!.AsArray().Select(o => o!.GetValue<string>()).ToList();
        Assert.Contains("ro", options);
        Assert.Contains("noexec", options);
        Assert.Single(run.Result!["filesystems"]!.AsArray());
    }

    [Fact]
    public void A_path_inside_a_mount_selects_that_mount_as_df_does()
    {
        using var dir = new TempDir("disk");
        var point = dir["m"];
        Directory.CreateDirectory(point);
        var run = Tools.ReshInScript(
            "mount -t tmpfs -o size=4m resh-disk-test \"$2\"; mkdir -p \"$2/a/b\"; exec \"$1\" system://.disk \"path=$2/a/b\"", point);
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(point, Assert.Single(run.Result!["filesystems"]!.AsArray())!["mount_point"]!.GetValue<string>());
    }

    [Fact]
    public void A_mount_point_mounted_over_is_listed_once_with_the_file_system_on_top()
    {
        using var dir = new TempDir("disk");
        var point = dir["m"];
        Directory.CreateDirectory(point);
        var run = Tools.ReshInScript(
            "mount -t tmpfs -o size=4m under \"$2\"; mount -t tmpfs -o size=8m over \"$2\"; exec \"$1\" system://.disk type=tmpfs", point);
        Assert.True(run.Ok, run.ToString());
        var rows = run.Result!["filesystems"]!.AsArray().Where(f => f!["mount_point"]!.GetValue<string>() == point).ToList();
        Assert.Equal("over", Assert.Single(rows)!["device"]!.GetValue<string>());
        Assert.Equal(8L << 20, rows[0]!["size"]!.GetValue<long>());
    }

    [Fact]
    public void A_bind_mount_is_listed_once_unless_all_is_true()
    {
        using var dir = new TempDir("disk");
        Directory.CreateDirectory(dir["m"]);
        Directory.CreateDirectory(dir["bind"]);
        const string script = "mount -t tmpfs -o size=4m resh-bind-test \"$2\"; mount --bind \"$2\" \"$3\"; " +
                              "\"$1\" system://.disk type=tmpfs; exec \"$1\" system://.disk type=tmpfs all=true";
        var run = Tools.Run("unshare", ["--mount", "--propagation", "private", "sh", "-ec", script, "sh", ReshBinary.Path, dir["m"], dir["bind"]]);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        int Count(string line) => JsonNode.Parse(line)!["result"]!["filesystems"]!.AsArray()
            .Count(f => f!["device"]!.GetValue<string>() == "resh-bind-test");
        Assert.Equal(1, Count(lines[0]));
        Assert.Equal(2, Count(lines[1]));
    }

    [Fact]
    public void Pseudo_file_systems_appear_only_with_all_or_when_asked_by_type()
    {
        var plain = ReshBinary.Run("system://.disk");
        var all = ReshBinary.Run("system://.disk", "all=true");
        var proc = ReshBinary.Run("system://.disk", "type=proc");
        bool HasProc(ReshRun r) => r.Result!["filesystems"]!.AsArray().Any(f => f!["fstype"]!.GetValue<string>() == "proc");
        Assert.False(HasProc(plain));
        Assert.True(HasProc(all));
        Assert.True(HasProc(proc));
        Assert.All(proc.Result!["filesystems"]!.AsArray(), f => Assert.Equal("proc", f!["fstype"]!.GetValue<string>()));
    }

    [Fact]
    public void Disk_of_a_missing_path_is_not_found()
    {
        var run = ReshBinary.Run("system://.disk", "path=/no/such/dir");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("not_found", run.ErrorCode);
    }

    [Fact]
    public void Disk_table_view_renders()
    {
        var run = ReshBinary.Run("system://.disk", "--format", "table");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("MOUNT", run.Stdout);
    }
}
