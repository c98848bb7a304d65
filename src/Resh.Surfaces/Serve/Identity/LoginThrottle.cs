namespace Resh.Surfaces.Serve.Identity;

/// <summary>
/// Failed LDAP logins of `resh serve`, counted so that the server is no password oracle (s38 attacker #3, user #20).
/// Three counts, each forgotten after <see cref="Forget"/> without a failure: per user name (canonical: lower case) and
/// client address (an IPv6 client per /64), per client address over all names, and per user name over all addresses.
/// Past a count's free failures (<see cref="FreePerNameAndClient"/>, <see cref="FreePerClient"/>, <see cref="FreePerName"/>)
/// the next attempt waits 1 s, then 2, 4, ... up to a maximum (15 min for a name from one address or for an address,
/// <see cref="MaxNameDelay"/> for a name over all addresses); an attempt that comes earlier is answered 429 with
/// Retry-After and never reaches the directory. A success resets its name and address pair. The count over all
/// addresses is not applied where the name logged in successfully within <see cref="KnownFor"/>, and its delay is
/// short: others guessing a name cannot lock its user out of the address she works from, nor hold the name anywhere
/// for more than a minute at a time. Every attempt counts as a failure from its start (undone when it is not one), so
/// a burst of parallel guesses is held back as a sequence of them is.
/// </summary>
public sealed class LoginThrottle(Func<long>? nowMs = null)
{
    public const int FreePerNameAndClient = 5, FreePerClient = 20, FreePerName = 20;
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(15), MaxNameDelay = TimeSpan.FromMinutes(1),
        Forget = TimeSpan.FromMinutes(15), KnownFor = TimeSpan.FromHours(24);
    const int MaxEntries = 100_000;

    readonly Func<long> _now = nowMs ?? (() => Environment.TickCount64);
    readonly Lock _lock = new();
    readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    readonly Dictionary<string, long> _known = new(StringComparer.Ordinal);

    sealed class Entry
    {
        public int Failures;
        public long Last;
    }

    static string Pair(string name, string client) => "p\n" + name + "\n" + client;

    /// <summary>
    /// Before an attempt of <paramref name="name"/> from <paramref name="client"/>: null when it may ask the directory
    /// (counted as a failure until <see cref="Succeeded"/> or <see cref="NotFailed"/>), else the seconds to wait.
    /// </summary>
    public int? Begin(string name, string client)
    {
        var now = _now();
        lock (_lock)
        {
            if (_entries.Count >= MaxEntries) Sweep(now);
            var pair = Get(Pair(name, client), now);
            var address = Get("c\n" + client, now);
            var all = Get("n\n" + name, now);
            var known = _known.TryGetValue(Pair(name, client), out var at) && now - at < KnownFor.TotalMilliseconds;
            var wait = Math.Max(Wait(pair, FreePerNameAndClient, MaxDelay, now), Wait(address, FreePerClient, MaxDelay, now));
            if (!known) wait = Math.Max(wait, Wait(all, FreePerName, MaxNameDelay, now));
            if (wait > 0) return (int)Math.Ceiling(wait / 1000.0);
            foreach (var e in (Entry[])[pair, address, all])
            {
                e.Failures++;
                e.Last = now;
            }
            return null;
        }
    }

    /// <summary>The password was right: the pair starts afresh and the address is one the name is known from.</summary>
    public void Succeeded(string name, string client)
    {
        var now = _now();
        lock (_lock)
        {
            _entries.Remove(Pair(name, client));
            Undo("c\n" + client);
            Undo("n\n" + name);
            if (_known.Count >= MaxEntries)
                foreach (var (k, at) in _known.ToArray()) if (now - at >= KnownFor.TotalMilliseconds) _known.Remove(k);
            if (_known.Count < MaxEntries) _known[Pair(name, client)] = now;
        }
    }

    /// <summary>The attempt ended neither right nor wrong (the directory unreachable): it does not count.</summary>
    public void NotFailed(string name, string client)
    {
        lock (_lock)
        {
            Undo(Pair(name, client));
            Undo("c\n" + client);
            Undo("n\n" + name);
        }
    }

    void Undo(string key)
    {
        if (_entries.TryGetValue(key, out var e) && e.Failures > 0) e.Failures--;
    }

    Entry Get(string key, long now)
    {
        if (!_entries.TryGetValue(key, out var e)) _entries[key] = e = new Entry { Last = now };
        else if (now - e.Last >= Forget.TotalMilliseconds) e.Failures = 0;
        return e;
    }

    /// <summary>Milliseconds still to wait before the next attempt counted by <paramref name="e"/>.</summary>
    static long Wait(Entry e, int free, TimeSpan max, long now)
    {
        if (e.Failures < free) return 0;
        var delay = Math.Min(max.TotalMilliseconds, 1000 * Math.Pow(2, Math.Min(30, e.Failures - free)));
        return Math.Max(0, e.Last + (long)delay - now);
    }

    void Sweep(long now)
    {
        foreach (var (k, e) in _entries.ToArray())
            if (now - e.Last >= Forget.TotalMilliseconds || e.Failures == 0) _entries.Remove(k);
        if (_entries.Count >= MaxEntries) _entries.Clear(); // more live guessers than that: start over rather than grow
    }
}
