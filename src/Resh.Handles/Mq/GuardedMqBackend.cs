using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Mq;

/// <summary>
/// A server backend whose answers resh reads: a server that answers what its protocol never does (a lying or foreign
/// server on the address, a corrupt entry another program wrote) gives a `failed` envelope naming the server, never
/// "a bug in resh" (s33 attacker #5). Every server backend is handed out wrapped in this.
/// </summary>
public sealed class GuardedMqBackend(IMqBackend inner) : IMqBackend
{
    public string Kind => inner.Kind;
    public string? Server => inner.Server;

    async ValueTask<Outcome<T>> Guard<T>(Func<ValueTask<Outcome<T>>> call)
    {
        try { return await call().ConfigureAwait(false); }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or KeyNotFoundException or InvalidCastException
                                      or FormatException or OverflowException or NullReferenceException or InvalidOperationException
                                      or System.Text.Json.JsonException)
        {
            throw ReshError.Failed($"The {inner.Kind} server {inner.Server} answered something resh cannot read: {ExceptionTranslation.OneLine(e.Message).TrimEnd('.')}.",
                "Check that the address names the server you meant, and its log; an entry written by another program under resh's names can cause this too.").ToException();
        }
    }

    public ValueTask<Outcome<MqPublishResult>> PublishAsync(VerbContext ctx, string queue, MqOutgoing message) => Guard(() => inner.PublishAsync(ctx, queue, message));
    public ValueTask<Outcome<MqConsumeResult>> ConsumeAsync(VerbContext ctx, string queue, MqTake take, TimeSpan wait) => Guard(() => inner.ConsumeAsync(ctx, queue, take, wait));
    public ValueTask<Outcome<MqAckResult>> AckAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts) => Guard(() => inner.AckAsync(ctx, queue, receipts));
    public ValueTask<Outcome<MqNackResult>> NackAsync(VerbContext ctx, string queue, IReadOnlyList<string> receipts, bool deadLetter) => Guard(() => inner.NackAsync(ctx, queue, receipts, deadLetter));
    public ValueTask<Outcome<MqPeekResult>> PeekAsync(VerbContext ctx, string queue, int count) => Guard(() => inner.PeekAsync(ctx, queue, count));
    public ValueTask<Outcome<MqSubscribeResult>> SubscribeAsync(VerbContext ctx, string queue, long? limit, MqTake take, TimeSpan maxPause) => Guard(() => inner.SubscribeAsync(ctx, queue, limit, take, maxPause));
    public ValueTask<Outcome<MqQueuesResult>> QueuesAsync(VerbContext ctx) => Guard(() => inner.QueuesAsync(ctx));
    public ValueTask<Outcome<MqCreateResult>> CreateAsync(VerbContext ctx, string queue, MqQueueSettings settings) => Guard(() => inner.CreateAsync(ctx, queue, settings));
    public ValueTask<Outcome<MqDeleteResult>> DeleteAsync(VerbContext ctx, string queue, bool force) => Guard(() => inner.DeleteAsync(ctx, queue, force));
    public ValueTask<Outcome<MqPurgeResult>> PurgeAsync(VerbContext ctx, string queue, bool force) => Guard(() => inner.PurgeAsync(ctx, queue, force));
    public ValueTask<Outcome<MqStatsResult>> StatsAsync(VerbContext ctx, string queue) => Guard(() => inner.StatsAsync(ctx, queue));
    public ValueTask<Outcome<MqRequestResult>> RequestAsync(VerbContext ctx, string queue, MqOutgoing message, TimeSpan timeout) => Guard(() => inner.RequestAsync(ctx, queue, message, timeout));
}
