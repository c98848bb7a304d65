using System.Diagnostics;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Mq;

/// <summary>
/// Review findings on the embedded queue: a receipt names its queue (another queue refuses it instead of calling the
/// message "already done"), and consume wait= on a queue not created yet waits for a publisher instead of failing at once.
/// </summary>
public sealed class MqReviewTests : MqTestBase
{
    [Fact]
    public void A_receipt_of_another_queue_is_refused_and_acks_nothing()
    {
        Ok(Resh("mq:///qa.publish", "body=a"));
        for (var i = 0; i < 3; i++) Ok(Resh("mq:///qb.publish", $"body=b{i}"));
        Ok(Resh("mq:///qb.consume", "count=3"));
        var receipt = Ok(Resh("mq:///qa.consume", "ack=manual"))["messages"]![0]!["receipt"]!.GetValue<string>();
        var wrong = Resh("mq:///qb.ack", receipt);
        Assert.True(wrong.ExitCode == 2 && wrong.ErrorCode == "usage", wrong.ToString());
        Assert.Contains("another queue", wrong.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal(1, Stats("qa")["in_flight"]!.GetValue<long>());
        Assert.True(Resh("mq:///qa.ack", receipt).Changed);
    }

    [Fact]
    public void Consume_with_wait_on_a_queue_not_created_yet_gets_the_first_message_published_to_it()
    {
        var publisher = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"sleep 1; {Shell.Q(ReshBinary.Path)} 'mq:///later.publish(body=late)' >/dev/null"])
        {
            UseShellExecute = false, Environment = { ["RESH_HOME"] = Home },
        })!;
        try
        {
            var got = Ok(Resh("mq:///later.consume", "wait=20s"))["messages"]!.AsArray();
            Assert.Equal("late", Assert.Single(got)!["body"]!.GetValue<string>());
        }
        finally
        {
            publisher.WaitForExit(30_000);
        }
        // Without wait (or when wait ends with no queue) it is still not_found.
        Assert.Equal("not_found", Resh("mq:///never.consume").ErrorCode);
        Assert.Equal("not_found", Resh("mq:///never.consume", "wait=300ms").ErrorCode);
    }
}
