using System.Text.Json.Nodes;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

/// <summary>
/// Pipelines whose first stage is remote (issue 19): the items of every host's answer flow on, each with its
/// `host`; the filters and later stages run locally on them (docs/pipelines.md).
/// </summary>
[Collection("ssh")]
public sealed class SshPipelineTests(SshBackend ssh)
{
    [Fact]
    public void A_fleets_items_are_filtered_locally_each_with_its_host()
    {
        var run = ssh.Run("ssh://reshf[1:3]/system://.disk | where mount_point == \"/\" | select host,mount_point,used_percent", "--forks", "3");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("pipeline", run.Envelope["handle"]!.GetValue<string>());
        var items = run.Result!["items"]!.AsArray();
        Assert.Equal(["reshf1", "reshf2", "reshf3"], items.Select(i => i!["host"]!.GetValue<string>()).Order());
        Assert.All(items, i => Assert.Equal("/", i!["mount_point"]!.GetValue<string>()));
    }

    [Fact]
    public void One_remote_hosts_items_carry_its_host_and_feed_a_later_stage()
    {
        var run = ssh.Run("ssh://reshf4/system://.disk | where mount_point == \"/\" | first 1 | system://.hostname");
        Assert.True(run.Ok, run.ToString());
        var item = run.Result!["items"]![0]!;
        Assert.Equal("reshf4", item["item"]!["host"]!.GetValue<string>());
        Assert.True(item["ok"]!.GetValue<bool>());
    }

    [Fact]
    public void An_unreachable_host_makes_the_pipeline_partial()
    {
        var run = ssh.Run("ssh://reshf5,ghost/system://.disk | where mount_point == \"/\" | count", "--timeout", "60s");
        Assert.Equal(9, run.ExitCode);
        Assert.Equal("partial", run.ErrorCode);
        Assert.Equal(1, run.Result!["count"]!.GetValue<int>());
        // Each failed host keeps why it failed (s42 user D11): host, code and message, not only its name.
        var failed = Assert.Single(run.Envelope["error"]!["details"]!["failed_hosts"]!.AsArray())!;
        Assert.Equal("ghost", failed["host"]!.GetValue<string>());
        Assert.Equal("unavailable", failed["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(failed["message"]!.GetValue<string>()));
        Assert.Contains("ghost: unavailable", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("ghost (unavailable: ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_host_field_in_a_remote_hosts_items_is_overwritten_by_the_host_that_answered()
    {
        // s40 attacker #1, tested (s41): a remote list whose items carry their own `host` must not choose where a later
        // `ssh://{host}/...` stage runs, nor pass a `where host == ...` filter.
        var file = Path.Combine(ssh.Dir, $"items-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """[{"host":"evil","n":1},{"host":"reshf9","n":2},{"n":3}]""");
        try
        {
            var run = ssh.Run($"ssh://reshf6/config://{file}.get | select host,n");
            Assert.True(run.Ok, run.ToString());
            var items = run.Result!["items"]!.AsArray();
            Assert.Equal([1, 2, 3], items.Select(i => i!["n"]!.GetValue<int>()));
            Assert.All(items, i => Assert.Equal("reshf6", i!["host"]!.GetValue<string>()));

            var evil = ssh.Run($"ssh://reshf6/config://{file}.get | where host == evil | count");
            Assert.True(evil.Ok, evil.ToString());
            Assert.Equal(0, evil.Result!["count"]!.GetValue<int>());
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void A_remote_per_item_target_names_its_host_and_reads_as_typed()
    {
        // s42 user review #2: the per-item target of `ssh://{host}/file://{path}.read` was the remote's target alone,
        // percent-encoded (file://%2Ftmp%2F...%20b.txt): neither readable nor usable again. It is ssh://HOST/ and the
        // path as itself; only what must be escaped to read back as the same name is (a literal % as %25).
        var dir = Path.Combine(ssh.Dir, $"pt-{Guid.NewGuid():N}"[..12]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "a b.txt"), "one");
        File.WriteAllText(Path.Combine(dir, "50%41.txt"), "two");
        try
        {
            var run = ssh.Run($"ssh://reshf7/file://{dir}.list | sort name | ssh://{{host}}/file://{{path}}.read");
            Assert.True(run.Ok, run.ToString());
            var items = run.Result!["items"]!.AsArray();
            Assert.Equal(2, items.Count);
            Assert.Equal($"ssh://reshf7/file://{dir}/50%2541.txt", items[0]!["target"]!.GetValue<string>());
            Assert.Equal($"ssh://reshf7/file://{dir}/a b.txt", items[1]!["target"]!.GetValue<string>());
            Assert.Equal(["two", "one"], items.Select(i => i!["result"]!["content"]!.GetValue<string>()));
            // Given back to resh, each target addresses that item on that host.
            foreach (var (item, content) in items.Zip(["two", "one"]))
            {
                var again = ssh.Run(item!["target"]!.GetValue<string>() + ".read");
                Assert.True(again.Ok, again.ToString());
                Assert.Equal(content, again.Result!["content"]!.GetValue<string>());
                Assert.Equal("reshf7", again.Envelope["host"]!.GetValue<string>());
            }
            // --format ndjson streams the same targets.
            var nd = ssh.Run($"ssh://reshf7/file://{dir}.list | sort name | ssh://{{host}}/file://{{path}}.read", "--format", "ndjson");
            var first = JsonNode.Parse(nd.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0])!;
            Assert.Equal($"ssh://reshf7/file://{dir}/50%2541.txt", first["target"]!.GetValue<string>());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_field_no_remote_item_has_warns_alike_in_select_and_where()
    {
        // A remote host's answer declares no item type: a misspelt field cannot be refused before the items arrive, so
        // `select` and `where` both run and warn that no item has it (s42 user review: the two must agree).
        foreach (var filter in new[] { "select nmae", "where nmae == x" })
        {
            var run = ssh.Run($"ssh://reshf8/system://.disk | {filter}");
            Assert.True(run.Ok, run.ToString());
            Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().StartsWith("No item has a field `nmae`", StringComparison.Ordinal));
        }
    }
}
