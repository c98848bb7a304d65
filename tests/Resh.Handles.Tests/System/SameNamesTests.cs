using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>Issue 10, truthful values: the same number has the same name in system:// and fs://, and the fqdn is what `hostname -f` says.</summary>
public sealed class SameNamesTests
{
    [Fact]
    public void System_disk_and_fs_usage_give_the_same_numbers_the_same_names()
    {
        using var dir = new TempDir("samenames");
        // A tmpfs of known size in a private mount namespace: nothing else writes to it while both run.
        var run = Tools.Run("unshare", ["--mount", "--propagation", "private", "sh", "-ec",
            "mount -t tmpfs -o size=64m,nr_inodes=4096 resh-test \"$2\"; head -c 1048576 /dev/zero > \"$2/f\"; \"$1\" \"system://.disk(path=$2)\"; \"$1\" \"fs://$2.usage\"",
            "sh", ReshBinary.Path, dir.Path]);
        Assert.True(run.Exit == 0, run.Stderr + run.Stdout);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
        var disk = lines[0]["result"]!["filesystems"]![0]!.AsObject();
        var usage = lines[1]["result"]!["filesystems"]![0]!.AsObject();
        foreach (var name in new[] { "size", "used", "free", "available", "used_percent", "inodes_total", "inodes_used", "inodes_free", "inodes_used_percent" })
        {
            Assert.True(usage.ContainsKey(name), $"fs.usage has no `{name}`: {usage.ToJsonString()}");
            Assert.Equal(disk[name]!.ToJsonString(), usage[name]!.ToJsonString());
        }
        Assert.Equal(64L << 20, usage["size"]!.GetValue<long>());
        Assert.Equal(4096, usage["inodes_total"]!.GetValue<long>());
    }

    [Fact]
    public void Info_and_hostname_give_the_fqdn_hostname_f_gives()
    {
        var expected = Tools.Run("hostname", ["-f"]) is { Exit: 0 } h ? h.Stdout.Trim() : null;
        var info = ReshBinary.Run("system://.info");
        Assert.Equal(expected, info.Result!["fqdn"]?.GetValue<string>());
        Assert.Equal(expected, ReshBinary.Run("system://.hostname").Result!["fqdn"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("127.0.1.1 resh-fqdn-test.example.org resh-fqdn-test")]
    [InlineData("127.0.1.1 resh-fqdn-test resh-fqdn-test.example.org")]
    public void The_fqdn_is_the_resolvers_canonical_name_as_hostname_f_prints_it(string hostsLine)
    {
        using var dir = new TempDir("fqdn");
        var hosts = dir.File("hosts", $"127.0.0.1 localhost\n{hostsLine}\n");
        var run = Tools.Run("unshare", ["--mount", "--uts", "--propagation", "private", "sh", "-ec",
            "hostname resh-fqdn-test; mount --bind \"$2\" /etc/hosts; hostname -f; \"$1\" system://.hostname; \"$1\" system://.info",
            "sh", ReshBinary.Path, hosts]);
        Assert.True(run.Exit == 0, run.Stderr + run.Stdout);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var expected = lines[0].Trim();
        Assert.Equal(hostsLine.Split(' ')[1], expected);
        Assert.Equal(expected, JsonNode.Parse(lines[1])!["result"]!["fqdn"]!.GetValue<string>());
        Assert.Equal(expected, JsonNode.Parse(lines[2])!["result"]!["fqdn"]!.GetValue<string>());
    }
}
