using Resh.Handles.Tests.Svc;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Cron;

/// <summary>A real cron daemon with its own spool in a private mount namespace (tests/setup/cron-sandbox.sh).</summary>
public sealed class CronSandbox : IDisposable
{
    readonly TempDir _dir = new("reshsvc-cron");

    public CronSandbox()
    {
        Namespaced.RequireRoot();
        try
        {
            CronPid = int.Parse(Namespaced.Setup("cron-sandbox.sh", "start", _dir.Path), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch
        {
            _dir.Dispose();
            throw;
        }
    }

    public int CronPid { get; }
    public string Dir => _dir.Path;

    /// <summary>resh inside cron's mount namespace: it sees the sandbox's spool at /var/spool/cron/crontabs.</summary>
    public ReshRun Resh(params string[] args) => Namespaced.Resh(CronPid, "-m", ReshBinary.Path, args);

    public void Dispose()
    {
        try { Namespaced.Setup("cron-sandbox.sh", "stop", _dir.Path); }
        catch (Exception) { /* best effort */ }
        _dir.Dispose();
    }
}
