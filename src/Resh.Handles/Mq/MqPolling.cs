using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Mq;

/// <summary>
/// subscribe on a server backend that is read by polling (NATS pull consumers, Redis Streams): up to 100 messages a
/// take, each streamed as a `message` event, a pause that starts at 10 ms and doubles up to <c>maxPause</c> while the
/// queue is empty, until <c>limit</c> messages or the call's --timeout, which is a normal end (also during the connect).
/// </summary>
public static class MqPolling
{
    /// <param name="open">Connects and makes the reader (inside the timeout's reach): given how many are wanted, the next messages.</param>
    /// <param name="close">Runs however the subscription ended (a consumer to remove).</param>
    public static async ValueTask<Outcome<MqSubscribeResult>> SubscribeAsync(VerbContext ctx, string queue, long? limit, TimeSpan maxPause,
        Func<Task<Func<int, Task<List<MqMessage>>>>> open, Func<Task>? close = null)
    {
        long received = 0;
        if (ctx.DryRun) return Outcome.Changed(new MqSubscribeResult(queue, 0, "dry_run"), false);
        var pause = TimeSpan.FromMilliseconds(10);
        try
        {
            var next = await open().ConfigureAwait(false);
            while (limit is null || received < limit)
            {
                var messages = await next((int)Math.Min(100, (limit ?? long.MaxValue) - received)).ConfigureAwait(false);
                foreach (var m in messages)
                    ctx.Events.Emit("message", (JsonObject)JsonSerializer.SerializeToNode(m, MqJson.Default.MqMessage)!);
                received += messages.Count;
                if (messages.Count > 0) { pause = TimeSpan.FromMilliseconds(10); continue; }
                await Task.Delay(pause, ctx.Cancellation).ConfigureAwait(false);
                pause = TimeSpan.FromMilliseconds(Math.Min(maxPause.TotalMilliseconds, pause.TotalMilliseconds * 2));
            }
        }
        catch (Exception e) when (ctx.TimedOut && e is OperationCanceledException or ReshException)
        {
            return Outcome.Changed(new MqSubscribeResult(queue, received, "timeout"), received > 0);
        }
        finally
        {
            if (close is not null) await close().ConfigureAwait(false);
        }
        return Outcome.Changed(new MqSubscribeResult(queue, received, "count"), received > 0);
    }
}
