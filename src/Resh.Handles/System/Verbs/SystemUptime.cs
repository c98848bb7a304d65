using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

public static class SystemUptime
{
    public static readonly VerbInfo Verb = VerbInfo.Define("uptime", Effect.Read,
        "Time since boot, and the boot time.",
        [], () => SystemJson.Default.UptimeResult, Run,
        examples: [new("system://.uptime", "Seconds since boot and boot time."), new("system://.uptime --format raw", "Whole seconds since boot.")]);

    static Outcome<UptimeResult> Run(VerbContext ctx)
    {
        var result = Collect();
        if (result is null) return ReshError.Unavailable("/proc/uptime cannot be read.", "Is /proc mounted?");
        return new Outcome<UptimeResult>(result, false)
            .WithRaw(RawPayload.FromText(Math.Floor(result.Seconds).ToString(CultureInfo.InvariantCulture)));
    }

    public static UptimeResult? Collect()
    {
        if (ProcUptime.Parse(ProcFile.ReadText(ProcUptime.Path) ?? "") is not { } up) return null;
        var boot = DateTimeOffset.FromUnixTimeSeconds((long)Math.Round(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 - up.Uptime));
        return new UptimeResult(up.Uptime, SystemText.Rfc3339(boot), boot.ToUnixTimeSeconds(), up.Idle, SystemText.Duration(up.Uptime));
    }
}
