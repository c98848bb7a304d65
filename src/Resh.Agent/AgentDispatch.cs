using Resh.Core.Errors;

namespace Resh.Agent;

/// <summary>
/// What the agent does with a message, whatever carried it (its own NATS subscriptions, or the front's pipe in worker
/// mode): discovery is answered at once, a cancel applied at once, calls run concurrently up to max_calls, each answer
/// handed to <c>answer(reply, bytes or null)</c>. Stop drains: the calls in flight finish (at most the drain timeout,
/// then they are interrupted).
/// </summary>
public sealed class AgentDispatch
{
    readonly AgentServer _server;
    readonly Action<string> _log;
    readonly Func<string?, byte[]?, ValueTask> _answer;
    readonly SemaphoreSlim _gate;
    readonly HashSet<Task> _inFlight = [];
    readonly CancellationTokenSource _interrupt = new();

    public AgentDispatch(AgentServer server, int maxCalls, Action<string> log, Func<string?, byte[]?, ValueTask> answer)
    {
        _server = server;
        _log = log;
        _answer = answer;
        _gate = new SemaphoreSlim(maxCalls);
    }

    public async ValueTask DiscoverAsync(byte[]? data, string? reply)
    {
        var answer = reply is null || data is null ? null : _server.Discover(data);
        await _answer(reply, answer).ConfigureAwait(false);
    }

    /// <summary>A caller that stopped waiting cancels its call (AgentCancel); read apart from calls, so a full max_calls gate never delays one.</summary>
    public void Cancel(byte[]? data)
    {
        if (data is not null) _server.Cancel(data);
    }

    /// <summary>Runs the calls read from <paramref name="calls"/> until it ends or <paramref name="stop"/>; returns once every call read is started.</summary>
    public async Task RunCallsAsync(IAsyncEnumerable<(byte[] Data, string? Reply)> calls, CancellationToken stop)
    {
        await foreach (var (data, reply) in calls.WithCancellation(stop).ConfigureAwait(false))
        {
            await _gate.WaitAsync(stop).ConfigureAwait(false);
            // The task starts only once it is in the set, so its own removal always comes after.
            var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task? task = null;
            task = Task.Run(async () =>
            {
                await registered.Task.ConfigureAwait(false);
                try
                {
                    byte[]? answer;
                    try { answer = await _server.CallAsync(data, reply, _interrupt.Token).ConfigureAwait(false); }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        _log($"a call failed inside the agent: {ExceptionTranslation.OneLine(e.Message)}");
                        answer = null;
                    }
                    await _answer(reply, answer).ConfigureAwait(false);
                }
                catch (OperationCanceledException) { await _answer(reply, null).ConfigureAwait(false); }
                finally
                {
                    _gate.Release();
                    lock (_inFlight) _inFlight.Remove(task!);
                }
            });
            lock (_inFlight) _inFlight.Add(task);
            registered.SetResult();
        }
    }

    /// <summary>Calls in flight get <paramref name="timeout"/> to finish, then they are interrupted.</summary>
    public void InterruptAfter(TimeSpan timeout) => _interrupt.CancelAfter(timeout);

    public void Interrupt() => _interrupt.Cancel();

    /// <summary>Waits for the calls in flight (bounded).</summary>
    public async Task DrainAsync(TimeSpan bound)
    {
        Task[] pending;
        lock (_inFlight) pending = _inFlight.ToArray();
        try { await Task.WhenAll(pending).WaitAsync(bound).ConfigureAwait(false); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
    }
}
