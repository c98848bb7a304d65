using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Proc;

namespace Resh.Handles.Lock;

/// <summary>
/// The local lock backend: one lease file per name in the state dir (<c>locks/named/NAME.lease</c>, 0600), read and
/// written only while holding a short flock on <c>NAME.lock</c> beside it, so two processes never both see a lock
/// free. A lease counts while its holder process (or, for run, the command's process) is alive and it has not
/// expired, so a holder killed with SIGKILL releases the lock at once; PIDs are matched with their start time, so
/// a recycled PID is not taken for the holder.
/// </summary>
public sealed partial class LockStore(ReshPaths paths) : ILockBackend
{
    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex NamePattern();

    /// <summary>The lock's name from the target: <c>lock:///deploy</c> or <c>lock://deploy</c>.</summary>
    public static string NameOf(string target)
    {
        var name = target.TrimStart('/');
        if (name.Length == 0)
            throw ReshError.Usage("The target names no lock.", "Example: resh lock:///deploy.run -- ./deploy.sh").ToException();
        if (!NamePattern().IsMatch(name) || name.Contains("..", StringComparison.Ordinal))
            throw ReshError.Usage($"`{name}` is not a lock name: use letters, digits, `.`, `_` and `-` (at most 100, not starting with `.` or `-`, no `..`).",
                "Example: lock:///nightly-backup").ToException();
        return name;
    }

    string Dir => paths.RequiredStateSubdir(Path.Combine("locks", "named"));

    string LeasePath(string name) => Path.Combine(Dir, name + ".lease");

    /// <summary>The short mutex around reading and writing one lease (held for microseconds by each caller).</summary>
    public FileStream Mutex(string name, CancellationToken ct) =>
        FileLock.Open(Path.Combine(Dir, name + ".lock"), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(5), ct);

    public LockLease? Read(string name)
    {
        try { return JsonSerializer.Deserialize(File.ReadAllBytes(LeasePath(name)), LockJson.Default.LockLease); }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException) { return null; }
        catch (JsonException) { return null; } // a torn or foreign file is no lease
    }

    /// <summary>
    /// Replaces the lease atomically (readers see the old or the new one, never a torn file) but without fsync: a lease
    /// counts only while its holder lives, and a crash that could lose the write ends every holder with it, so durability
    /// would buy nothing and cost two fsyncs per take (and two more when run records its command).
    /// </summary>
    public void Write(string name, LockLease lease)
    {
        AtomicFile.Write(LeasePath(name), JsonSerializer.SerializeToUtf8Bytes(lease, LockJson.Default.LockLease), UnixFileMode.UserRead | UnixFileMode.UserWrite, durable: false);
    }

    public void Delete(string name) => File.Delete(LeasePath(name));

    /// <summary>Every lock name that has a lease or mutex file.</summary>
    public IEnumerable<string> Names()
    {
        if (!Directory.Exists(Path.Combine(paths.StateDir, "locks", "named"))) return [];
        return Directory.EnumerateFiles(Dir)
            .Select(Path.GetFileName)
            .Where(f => f!.EndsWith(".lease", StringComparison.Ordinal) || f.EndsWith(".lock", StringComparison.Ordinal))
            .Select(f => f![..f!.LastIndexOf('.')])
            .Where(n => NamePattern().IsMatch(n))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
    }

    public static bool IsLive(LockLease lease)
    {
        if (lease.Expires is { } e && e <= DateTime.UtcNow) return false;
        return Alive(lease.Pid, lease.PidStart) || (lease.ChildPid is { } c && lease.ChildStart is { } cs && Alive(c, cs));
    }

    static bool Alive(int pid, long start) => pid > 0 && ProcFs.ReadStat(pid) is { IsZombie: false } e && e.StartTicks == start;

    /// <summary>The start time (clock ticks after boot) of a live process, or null when there is none with this PID.</summary>
    public static long? StartOf(int pid) => pid > 0 && ProcFs.ReadStat(pid) is { IsZombie: false } e ? e.StartTicks : null;

    public static ReshError Held(string name, LockLease holder, TimeSpan wait, string? display = null) =>
        ReshError.Conflict($"The lock {name} is held by PID {holder.Pid} on {holder.Host} since {holder.Holder.Since}{(wait > TimeSpan.Zero ? $"; waited {Resh.Core.Values.DurationValue.Format(wait)}" : "")}.",
            $"Wait longer (wait=5m), or see who holds it with {display ?? "lock:///" + name}.status.",
            new JsonObject { ["name"] = name, ["pid"] = holder.Pid, ["host"] = holder.Host, ["since"] = holder.Holder.Since, ["note"] = holder.Note, ["fence"] = holder.Fence });

    public string Kind => "local";
    public string? Server => null;
    public TimeSpan? DefaultTtl => null;

    public Task<LockAttempt> TryAcquireAsync(string name, LockLease lease, TimeSpan? ttl, CancellationToken ct)
    {
        using (Mutex(name, ct))
        {
            var current = Read(name);
            if (current is not null && IsLive(current)) return Task.FromResult(new LockAttempt(null, current));
            Write(name, lease);
            return Task.FromResult(new LockAttempt(lease, null));
        }
    }

    public Task<LockLease?> ReadAsync(string name, CancellationToken ct)
    {
        using (Mutex(name, ct))
            return Task.FromResult(Read(name) is { } lease && IsLive(lease) ? lease : null);
    }

    public Task<LockReleaseOutcome> ReleaseAsync(string name, string? token, bool dryRun, CancellationToken ct)
    {
        using (Mutex(name, ct))
        {
            var lease = Read(name);
            if (lease is null || !IsLive(lease)) return Task.FromResult(new LockReleaseOutcome(LockReleaseState.NotHeld, null));
            if (token is not null && !SameToken(lease.Token, token)) return Task.FromResult(new LockReleaseOutcome(LockReleaseState.WrongToken, lease));
            if (!dryRun) Delete(name);
            return Task.FromResult(new LockReleaseOutcome(LockReleaseState.Released, lease));
        }
    }

    /// <summary>A local lease lives as long as its holder: there is nothing to renew while the token still holds it.</summary>
    public Task<bool> RenewAsync(string name, string token, TimeSpan ttl, CancellationToken ct)
    {
        using (Mutex(name, ct))
            return Task.FromResult(Read(name) is { } lease && lease.Token == token);
    }

    public Task AdoptChildAsync(string name, string token, int childPid, CancellationToken ct)
    {
        using (Mutex(name, ct))
            if (Read(name) is { } mine && mine.Token == token)
                Write(name, mine with { ChildPid = childPid, ChildStart = StartOf(childPid) });
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> NamesAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>(Names().ToList());

    public static bool SameToken(string a, string b) => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
        System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));

    /// <summary>A fresh 128-bit token from getrandom(2) (RandomNumberGenerator would load OpenSSL, ~1,000 page faults, for 16 bytes).</summary>
    public static string NewToken() => Convert.ToHexStringLower(LibC.RandomBytes(16));
}
