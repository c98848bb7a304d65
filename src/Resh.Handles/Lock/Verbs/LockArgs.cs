using Resh.Core.Model;

namespace Resh.Handles.Lock;

static class LockArgs
{
    public static readonly Arg<TimeSpan?> Wait = Arg.Duration("wait",
        "How long to wait while another holder has the lock; 0s fails at once with `conflict` (like flock -n).", TimeSpan.Zero, examples: ["0s", "10s", "5m"]);
}
