using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Lock;

static class LockArgs
{
    public static readonly Arg<TimeSpan?> Wait = Arg.Duration("wait",
        "How long to wait while another holder has the lock; 0s fails at once with `conflict` (like flock -n).", TimeSpan.Zero, examples: ["0s", "10s", "5m"]);

    /// <summary>The shortest lease a server backend takes: renewal runs every ttl/3 and must beat the network.</summary>
    public static readonly TimeSpan MinServerTtl = TimeSpan.FromMilliseconds(300);

    /// <summary>The target as the user wrote it, for hints: lock:///deploy, lock://prod/deploy.</summary>
    public static string Display(VerbContext ctx) => "lock://" + ctx.Target;

    public static ReshError? CheckTtl(VerbContext ctx, Arg<TimeSpan?> arg, ILockBackend backend)
    {
        if (ctx.Get(arg) is not { } ttl) return null;
        if (ttl <= TimeSpan.Zero) return ReshError.Usage("ttl= must be longer than zero.", "Example: ttl=30s");
        if (backend.Server is not null && ttl < MinServerTtl)
            return ReshError.Usage($"ttl= must be at least {Resh.Core.Values.DurationValue.Format(MinServerTtl)} on a {backend.Kind} server: the lease is renewed every ttl/3 over the network.", "Example: ttl=30s");
        if (ttl > TimeSpan.FromDays(365)) return ReshError.Usage("ttl= must be at most 365 days.", "Example: ttl=2h");
        return null;
    }
}
