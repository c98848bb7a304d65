using System.Collections.Concurrent;
using System.Diagnostics;

namespace Resh.Agent;

/// <summary>
/// The agent's side of <see cref="AgentCancel"/>: calls running now, by caller and id, each with the source that
/// cancels it; and the cancels that came before their call (that call is refused when it comes), kept until they expire.
/// </summary>
public sealed partial class AgentServer
{
    readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, DateTime> _cancelled = new(StringComparer.Ordinal);
    /// <summary>At most this many cancels of calls not (yet) running are remembered; past it such cancels are dropped.</summary>
    public const int MaxCancelled = 100_000;

    static string CallKey(string caller, string id) => caller + "\n" + id;

    /// <summary>True when the caller cancelled call <paramref name="id"/> (before it came, or while it ran).</summary>
    bool WasCancelled(string caller, string id) => _cancelled.ContainsKey(CallKey(caller, id));

    /// <summary>Registers a running call; disposing the result unregisters it. Its token is cancelled by a verified cancel.</summary>
    RunningCall BeginCall(string caller, string id)
    {
        var key = CallKey(caller, id);
        var cts = new CancellationTokenSource();
        _running[key] = cts;
        // A cancel that came between the check in CallAsync and here.
        if (_cancelled.ContainsKey(key)) cts.Cancel();
        return new RunningCall(this, key, cts);
    }

    sealed class RunningCall(AgentServer server, string key, CancellationTokenSource cts) : IDisposable
    {
        public CancellationToken Token => cts.Token;

        public void Dispose()
        {
            server._running.TryRemove(new KeyValuePair<string, CancellationTokenSource>(key, cts));
            cts.Dispose();
        }
    }

    /// <summary>
    /// A message on resh.agent.cancel: verified as a call is (trusted caller, signature, issued and expiry within the same
    /// bounds), then the named call of that caller is cancelled, or remembered as cancelled until the cancel expires.
    /// </summary>
    public void Cancel(byte[] message)
    {
        var clock = Stopwatch.StartNew();
        if (message.Length > _settings.MaxRequest || AgentWire.Open(message, out _) is not { } opened)
        {
            _refusalLog.Note("ignored a malformed cancel message");
            Flood("malformed").Refused("agent-unverified:?", null, "", clock.Elapsed.TotalMilliseconds, Resh.Core.Errors.ErrorCode.Usage);
            return;
        }
        var (payload, sig) = opened;
        if (AgentCancel.Parse(payload) is not { } claimed)
        {
            _refusalLog.Note("ignored a cancel message whose payload is not a cancel");
            Flood("malformed").Refused("agent-unverified:" + AgentWire.ClaimedCaller(payload), null, "", clock.Elapsed.TotalMilliseconds, Resh.Core.Errors.ErrorCode.Usage);
            return;
        }
        if (!claimed.Hosts.Contains(_settings.Host, StringComparer.Ordinal)) return; // for other agents
        void Refuse(string kind, string identity, string why, Resh.Core.Errors.ErrorCode code)
        {
            _refusalLog.Note($"refused a cancel of call {Clip(claimed.Id)} from {Clip(claimed.Caller)}: {why}");
            Flood(kind).Refused(identity, null, "cancel", clock.Elapsed.TotalMilliseconds, code);
        }
        if (!_settings.Callers.TryGetValue(claimed.Caller, out var caller))
        {
            Refuse("unverified", "agent-unverified:" + (AgentWire.ValidWord(claimed.Caller) ? claimed.Caller : "?"), "the caller is not trusted", Resh.Core.Errors.ErrorCode.PermissionDenied);
            return;
        }
        if (!AgentKeys.Verify(caller.PublicKey, payload, sig))
        {
            Refuse("unverified", "agent-unverified:" + caller.Name, "not signed by the caller's key", Resh.Core.Errors.ErrorCode.PermissionDenied);
            return;
        }
        var now = DateTime.UtcNow;
        if (!AgentWire.ValidId(claimed.Id) || AgentWire.WindowOf(claimed.Issued, claimed.Expires, now) != AgentWire.Window.Ok)
        {
            Refuse("expired", "agent:" + caller.Name, "its id, issue time or expiry is out of bounds", Resh.Core.Errors.ErrorCode.PermissionDenied);
            return;
        }
        var key = CallKey(caller.Name, claimed.Id);
        var running = _running.TryGetValue(key, out var cts);
        if (!running && _cancelled.Count >= MaxCancelled) FlushRefusals(false);
        if (!running && _cancelled.Count >= MaxCancelled) return;
        if (!_cancelled.TryAdd(key, claimed.Expires)) return; // this cancel (or a copy of it) was seen: nothing more to do
        if (running)
        {
            try { cts!.Cancel(); } catch (ObjectDisposedException) { } // it ended meanwhile
            _log($"call {claimed.Id} from {caller.Name}: cancelled by the caller");
        }
    }

    /// <summary>Forgets the cancels past their expiry (with the replay cache's sweep).</summary>
    void SweepCancelled(DateTime now)
    {
        foreach (var (key, until) in _cancelled)
            if (until < now - AgentWire.Skew) _cancelled.TryRemove(key, out _);
    }
}
