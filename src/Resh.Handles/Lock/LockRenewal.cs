using System.Diagnostics;
using Resh.Core.Errors;

namespace Resh.Handles.Lock;

/// <summary>
/// Keeps a server lease alive while run's command runs: every ttl/3 it extends the lease to ttl, only if the token
/// still holds it (compare-and-pexpire). A renewal that finds the lock gone, or renewals failing for a whole ttl,
/// end the loop and leave <see cref="Lost"/> saying why, for the envelope's warning.
/// </summary>
public sealed class LockRenewal : IDisposable
{
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public LockRenewal(ILockBackend backend, string name, string token, TimeSpan ttl) =>
        _loop = Task.Run(() => LoopAsync(backend, name, token, ttl, _stop.Token));

    /// <summary>Why the lock was lost while the command ran, or null.</summary>
    public string? Lost { get; private set; }

    async Task LoopAsync(ILockBackend backend, string name, string token, TimeSpan ttl, CancellationToken stop)
    {
        var sinceOk = Stopwatch.StartNew();
        var period = ttl / 3;
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(period, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            try
            {
                using var call = CancellationTokenSource.CreateLinkedTokenSource(stop);
                call.CancelAfter(period);
                if (!await backend.RenewAsync(name, token, ttl, call.Token).ConfigureAwait(false))
                {
                    if (!stop.IsCancellationRequested) Lost = "a renewal found the lease expired or held under another token";
                    return;
                }
                sinceOk.Restart();
            }
            catch (Exception e)
            {
                // Any failure (a backend's answer it could not read included) counts against the TTL, never ends renewals
                // silently: the loop goes on until the lock is renewed, the TTL has passed (Lost), or the run ends.
                if (stop.IsCancellationRequested) return;
                if (sinceOk.Elapsed >= ttl)
                {
                    Lost = $"it could not be renewed for {Resh.Core.Values.DurationValue.Format(ttl)} ({(e is ReshException r ? r.Error.Message.TrimEnd('.') : Resh.Core.Errors.ExceptionTranslation.OneLine(e.Message).TrimEnd('.'))})";
                    return;
                }
            }
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
    }

    public void Dispose() => _stop.Dispose();
}
