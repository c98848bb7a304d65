using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Event;

/// <summary>
/// Input others control: topic names that try to leave the trail or smuggle control characters, data larger than allowed,
/// a trail torn or damaged on disk, a trail directory of another user, and another user pointed at this trail.
/// </summary>
public sealed class EventHostileTests : EventTestBase
{
    [Fact]
    public void Topic_names_with_slashes_dots_nul_or_control_characters_are_usage_errors_and_store_nothing()
    {
        var targets = new[]
        {
            "event:///a/b", "event:///../x", "event:///a..b", "event:///.hidden", "event:///a%00b", "event:///a%0Ab", "event:///a%1B[31mb",
            "event:///a%2Fb", "event:///x y", "event:///deploy.*", "event:///deploy.>", "event:///" + new string('t', 201),
        };
        foreach (var target in targets)
        {
            var run = Resh(target + ".emit", "data:={}");
            Assert.True(run.ExitCode == 2, target + ": " + run);
            Assert.Equal("usage", run.ErrorCode);
            Assert.NotNull(run.Envelope["error"]!["hint"]);
            Assert.DoesNotContain('\u001b', run.Stdout);
        }
        Assert.False(Directory.Exists(EventsDir) && Segments.Length > 0);
        Assert.Equal(2, Resh("event:///a.>.b.list").ExitCode);
        Assert.Equal(8, Resh("event://127.0.0.1:4222/deploy.emit").ExitCode);
        // backend=nats needs the server's url in [events]: a usage error saying so (tests/.../EventNatsTests run the backend).
        var nourl = Resh("event:///deploy.emit", "backend=nats");
        Assert.True(nourl.ExitCode == 2 && nourl.Envelope["error"]!["hint"]!.GetValue<string>().Contains("url"), nourl.ToString());
        Assert.Equal(2, Resh("event:///deploy.emit", "source=a\u0001b").ExitCode);
        Assert.Equal(2, Resh("event:///deploy.list", "where=novalue").ExitCode);
        Assert.Equal(2, Resh("event:///deploy.list", "since=someday").ExitCode);
        // 200 characters is fine.
        Ok(Resh("event:///" + new string('t', 200) + ".emit"));
    }

    [Fact]
    public void Data_larger_than_max_data_is_refused_with_a_clear_error_and_nothing_is_stored()
    {
        var blob = new string('x', 1024 * 1024 + 10);
        var request = new JsonObject { ["id"] = 1, ["stage"] = "event:///big", ["verb"] = "emit", ["args"] = new JsonObject { ["data"] = new JsonObject { ["blob"] = blob } } };
        var refused = Batch([request]).Single();
        Assert.False(refused["ok"]!.GetValue<bool>(), refused.ToJsonString()[..Math.Min(300, refused.ToJsonString().Length)]);
        Assert.Equal("usage", refused["error"]!["code"]!.GetValue<string>());
        Assert.Equal("too_large", refused["error"]!["details"]!["reason"]!.GetValue<string>());
        Assert.NotNull(refused["error"]!["hint"]);
        Assert.Empty(List("", "limit=10"));

        File.WriteAllText(Config, "[events]\nmax_data = \"1KiB\"\n");
        var small = Resh("event:///big.emit", $"data:=\"{new string('y', 2000)}\"");
        Assert.Equal(2, small.ExitCode);
        Ok(Resh("event:///big.emit", $"data:=\"{new string('y', 900)}\""));
    }

    [Fact]
    public void A_torn_write_at_the_end_is_cut_off_and_a_damaged_record_is_skipped_with_a_warning()
    {
        for (var i = 1; i <= 3; i++) Emit("t", $"{{\"i\":{i}}}");
        var segment = Segments.Single();
        // Half a record: an emitter killed mid-write.
        File.AppendAllText(segment, "0badc0de {\"seq\":4,\"id\":\"x\",\"topi");
        var next = Resh("event:///t.emit", "data:={\"i\":4}");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal(4, next.Result!["seq"]!.GetValue<long>());
        Assert.Contains(next.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("torn"));
        Assert.Equal([1, 2, 3, 4], List("/t").Select(e => e!["data"]!["i"]!.GetValue<int>()));

        // A flipped byte inside the second record: it is skipped, the others are read, with a warning.
        var bytes = File.ReadAllBytes(segment);
        var second = Array.IndexOf(bytes, (byte)'\n') + 30;
        bytes[second] ^= 0x01;
        File.WriteAllBytes(segment, bytes);
        var listed = Resh("event:///t.list");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Equal([1, 3, 4], listed.Result!["events"]!.AsArray().Select(e => e!["data"]!["i"]!.GetValue<int>()));
        Assert.Contains(listed.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("damaged"));
        // A newline and garbage in the middle, a lying hint: the trail goes on with unique sequence numbers.
        File.AppendAllText(segment, "garbage line\n");
        File.WriteAllBytes(Path.Combine(EventsDir, "lock"), new byte[32]);
        Assert.Equal(5, Emit("t", "{\"i\":5}")["seq"]!.GetValue<long>());
        Assert.Equal([1, 3, 4, 5], List("/t").Select(e => e!["data"]!["i"]!.GetValue<int>()));
        Assert.Equal(4, Ok(Resh("event://.topics"))["events"]!.GetValue<long>());
    }

    [Fact]
    public void Another_users_trail_is_refused_and_another_user_cannot_use_this_one()
    {
        Emit("mine", "{\"secret\":\"s3\"}");
        // As root: a trail directory planted by nobody is not used.
        var planted = Dir["planted-home"];
        Directory.CreateDirectory(Path.Combine(planted, "events"));
        Assert.Equal(0, Shell.Run($"chown 65534:65534 {Shell.Q(Path.Combine(planted, "events"))}").ExitCode);
        foreach (var call in new[] { new[] { "event:///x.emit" }, new[] { "event://.list" }, new[] { "event://.rules.add", "name=r", "run=file:///tmp/x.write" } })
        {
            var run = ReshBinary.Run([.. call, "--format", "json"], env: new Dictionary<string, string> { ["RESH_HOME"] = planted, ["RESH_CONFIG"] = Config });
            Assert.True(run.ExitCode is 4 or 2, string.Join(' ', call) + ": " + run);
        }
        var emit = ReshBinary.Run(["event:///x.emit", "--format", "json"], env: new Dictionary<string, string> { ["RESH_HOME"] = planted, ["RESH_CONFIG"] = Config });
        Assert.Equal("permission_denied", emit.ErrorCode);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(planted, "events")));
        // A symlink in place of the directory is not followed.
        var linkedHome = Dir["linked-home"];
        var elsewhere = Dir["elsewhere"];
        Directory.CreateDirectory(linkedHome);
        Directory.CreateDirectory(elsewhere);
        File.CreateSymbolicLink(Path.Combine(linkedHome, "events"), elsewhere);
        Assert.Equal(4, ReshBinary.Run(["event:///x.emit", "--format", "json"], env: new Dictionary<string, string> { ["RESH_HOME"] = linkedHome }).ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));

        // As nobody, pointed at this trail: neither read nor written.
        foreach (var call in new[] { "event:///mine.emit", "event://.list", "event://.topics", "event://.serve once=true" })
        {
            var foreign = Shell.Run($"cd /; setpriv --reuid=65534 --regid=65534 --clear-groups env RESH_HOME={Shell.Q(Home)} RESH_CONFIG=/dev/null {Shell.Q(ReshBinary.Path)} {call} --format json");
            Assert.True(foreign.ExitCode == 4, call + ": " + foreign);
            Assert.Contains("\"permission_denied\"", foreign.Stdout);
            Assert.DoesNotContain("s3", foreign.Stdout);
        }
        Assert.Single(List("/mine"));

        // nobody with its own state dir works normally.
        var own = Dir["nobody-home"];
        Directory.CreateDirectory(own);
        Assert.Equal(0, Shell.Run($"chown 65534:65534 {Shell.Q(own)}; chmod 755 {Shell.Q(Dir.Path)}").ExitCode);
        var ok = Shell.Run($"cd /; setpriv --reuid=65534 --regid=65534 --clear-groups env RESH_HOME={Shell.Q(own)} RESH_CONFIG=/dev/null sh -c \"{ReshBinary.Path} event:///n.emit >/dev/null && {ReshBinary.Path} event:///n.list --format json\"");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("\"n\"", ok.Stdout);
    }
}
