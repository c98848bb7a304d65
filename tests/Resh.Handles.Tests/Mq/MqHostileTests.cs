using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Mq;

/// <summary>
/// Input others control: queue names that try to leave the queue directory, a log torn or damaged on disk, a queue
/// directory of another user, another user pointed at these queues, and bodies larger than max_body.
/// </summary>
public sealed class MqHostileTests : MqTestBase
{
    [Fact]
    public void Names_that_try_to_leave_the_queue_directory_are_usage_errors_and_create_nothing()
    {
        var names = new[] { "mq:///../x", "mq:///a/../../b", "mq:///..", "mq:///.hidden", "mq:///-x", "mq:///a%00b", "mq:///a%2Fb", "mq:///" + new string('q', 101), "mq:///x y" };
        foreach (var target in names)
        {
            var run = Resh(target + ".publish", "body=1");
            Assert.True(run.ExitCode == 2, target + ": " + run);
            Assert.Equal("usage", run.ErrorCode);
            Assert.NotNull(run.Envelope["error"]!["hint"]);
        }
        Assert.False(Directory.Exists(Path.Combine(Home, "mq")) && Directory.EnumerateFileSystemEntries(Path.Combine(Home, "mq")).Any());
        Assert.False(File.Exists(Path.Combine(Home, "x")));
        // backend=nats names no server here (the NATS tests cover mq://HOST:PORT/QUEUE).
        Assert.Equal(2, Resh("mq:///jobs.publish", "body=1", "backend=nats").ExitCode);
        Assert.Equal(2, Resh("mq:///jobs.publish", "body=1", "backend=kafka").ExitCode);
        Assert.Equal(2, Resh("mq:///jobs.ack", "not-a-receipt").ExitCode);
        Assert.Equal(2, Resh("mq:///jobs.publish", "body=1", "headers:=[1]").ExitCode);
        // A name of exactly 100 characters is fine.
        Ok(Resh("mq:///" + new string('q', 100) + ".publish", "body=1"));
    }

    [Fact]
    public void A_torn_write_at_the_end_of_the_log_is_cut_off_and_the_queue_goes_on()
    {
        for (var i = 0; i < 3; i++) Ok(Resh("mq:///logs.publish", $"body=m{i}"));
        var segment = Directory.GetFiles(QueueDir("logs"), "*.seg").Single();
        var whole = new FileInfo(segment).Length;
        // Half a record: a frame header that promises more bytes than follow (a publisher killed mid-write).
        using (var fs = new FileStream(segment, FileMode.Append))
        {
            fs.Write([0x4D, 0x51, 0x52, 0x31, 0x00, 0x10, 0x00, 0x00, 1, 2, 3, 4]);
            fs.Write(Encoding.ASCII.GetBytes("partial body"));
        }
        var next = Resh("mq:///logs.publish", "body=m3");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal(3, next.Result!["seq"]!.GetValue<long>());
        Assert.Contains(next.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("torn"));
        var bodies = Ok(Resh("mq:///logs.consume", "count=10"))["messages"]!.AsArray().Select(m => m!["body"]!.GetValue<string>());
        Assert.Equal(["m0", "m1", "m2", "m3"], bodies);

        // Garbage alone at the end (no frame at all), and a hint in the lock file that lies: both recovered.
        File.AppendAllText(segment, "garbage");
        File.WriteAllBytes(Path.Combine(QueueDir("logs"), "lock"), new byte[32]);
        Ok(Resh("mq:///logs.publish", "body=m4"));
        Assert.Equal("m4", Ok(Resh("mq:///logs.consume"))["messages"]![0]!["body"]!.GetValue<string>());
        Assert.True(new FileInfo(segment).Length > whole);
    }

    [Fact]
    public void A_damaged_record_or_state_file_is_skipped_with_a_warning_never_a_crash()
    {
        for (var i = 0; i < 3; i++) Ok(Resh("mq:///dmg.publish", $"body=message-{i}"));
        var segment = Directory.GetFiles(QueueDir("dmg"), "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[30] ^= 0xFF; // inside the first record's payload: its checksum no longer holds
        File.WriteAllBytes(segment, bytes);
        // The tail is intact, so nothing is cut off; the damaged record is skipped when read.
        var run = Resh("mq:///dmg.consume", "count=10");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(run.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("could not be read"));
        // s31 user review D2: each record has its own checksum, so the intact ones after the damaged one are still delivered.
        Assert.Equal(["message-1", "message-2"], run.Result!["messages"]!.AsArray().Select(m => m!["body"]!.GetValue<string>()));

        Ok(Resh("mq:///state.publish", "body=kept"));
        File.WriteAllText(Path.Combine(QueueDir("state"), "state.json"), "{\"next\":");
        var rebuilt = Resh("mq:///state.consume");
        Assert.True(rebuilt.ExitCode == 0, rebuilt.ToString());
        Assert.Equal("kept", rebuilt.Result!["messages"]![0]!["body"]!.GetValue<string>());
        Assert.Contains(rebuilt.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("rebuilt"));
    }

    [Fact]
    public void A_queue_directory_of_another_user_is_refused_and_another_user_cannot_use_these_queues()
    {
        Ok(Resh("mq:///mine.publish", "body=secret"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(QueueDir("mine")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Directory.GetFiles(QueueDir("mine"), "*.seg").Single()));

        // A directory planted by nobody, and a symlink to somewhere else: neither is used.
        Directory.CreateDirectory(QueueDir("planted"));
        Assert.Equal(0, Shell.Run($"chown 65534:65534 {Shell.Q(QueueDir("planted"))}").ExitCode);
        var planted = Resh("mq:///planted.publish", "body=x");
        Assert.Equal(4, planted.ExitCode);
        Assert.Equal("permission_denied", planted.ErrorCode);
        Assert.Empty(Directory.GetFiles(QueueDir("planted")));
        var elsewhere = Dir["elsewhere"];
        Directory.CreateDirectory(elsewhere);
        File.CreateSymbolicLink(QueueDir("linked"), elsewhere);
        Assert.Equal(4, Resh("mq:///linked.publish", "body=x").ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        // queues lists what it can and says what it skipped.
        var queues = Resh("mq://.queues");
        Assert.True(queues.ExitCode == 0, queues.ToString());
        Assert.Contains(queues.Result!["queues"]!.AsArray(), q => q!["name"]!.GetValue<string>() == "mine");
        Assert.NotEmpty(queues.Envelope["warnings"]!.AsArray());

        // nobody, pointed at this state dir, can neither read nor add messages.
        foreach (var call in new[] { "mq:///mine.consume", "mq:///mine.publish body=x", "mq://.queues" })
        {
            var foreign = Shell.Run($"setpriv --reuid=65534 --regid=65534 --clear-groups env RESH_HOME={Shell.Q(Home)} {Shell.Q(ReshBinary.Path)} {call} --format json");
            Assert.True(foreign.ExitCode == 4, call + ": " + foreign);
            Assert.Contains("\"permission_denied\"", foreign.Stdout);
        }
        Assert.Equal(1, Stats("mine")["depth"]!.GetValue<long>());

        // nobody with its own state dir works normally.
        var own = Dir["nobody-home"];
        Directory.CreateDirectory(own);
        Assert.Equal(0, Shell.Run($"chown 65534:65534 {Shell.Q(own)}; chmod 755 {Shell.Q(Dir.Path)}").ExitCode);
        var run = Shell.Run($"cd /; setpriv --reuid=65534 --regid=65534 --clear-groups env RESH_HOME={Shell.Q(own)} sh -c \"{ReshBinary.Path} 'mq:///q.publish(body=hi)' >/dev/null && {ReshBinary.Path} mq:///q.consume --format json\"");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("\"hi\"", run.Stdout);
    }

    [Fact]
    public void A_body_larger_than_max_body_is_refused_with_a_clear_error_and_nothing_is_stored()
    {
        var big = new byte[2 * 1024 * 1024];
        Random.Shared.NextBytes(big);
        var refused = ReshBinary.Run(["mq:///blobs.publish", "body=@-", "--format", "json"], stdinBytes: big, env: Env);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("max_body", refused.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.NotNull(refused.Envelope["error"]!["hint"]);
        var file = Dir["big.bin"];
        File.WriteAllBytes(file, big);
        Assert.Equal(2, Resh("mq:///blobs.publish", "file=" + file).ExitCode);
        Assert.Equal(2, Resh("mq:///blobs.publish", "file=" + file, "max_body=100MiB").ExitCode);
        Assert.Equal(3, Resh("mq:///blobs.publish", "file=" + Dir["missing"]).ExitCode);
        Assert.Equal(2, Resh("mq:///blobs.publish", "body=x", "file=" + file).ExitCode);

        var ok = Ok(ReshBinary.Run(["mq:///blobs.publish", "body=@-", "max_body=4MiB", "--format", "json"], stdinBytes: big, env: Env));
        Assert.Equal(big.Length, ok["bytes"]!.GetValue<long>());
        var back = Ok(Resh("mq:///blobs.consume"))["messages"]![0]!;
        Assert.Equal(big, Convert.FromBase64String(back["body"]!.GetValue<string>()));
        Assert.Equal(1, Stats("blobs")["published"]!.GetValue<long>());
    }
}
