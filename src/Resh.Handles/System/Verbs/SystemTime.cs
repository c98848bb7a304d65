using System.Globalization;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

public static class SystemTime
{
    public static readonly VerbInfo Verb = VerbInfo.Define("time", Effect.Read,
        "The clock: now in UTC and local time, time zone and offset, NTP synchronisation, clock source.",
        [], () => SystemJson.Default.TimeResult, Run,
        examples: [new("system://.time", "Clock, zone and NTP state."), new("system://.time --format raw", "Now, RFC 3339 UTC.")],
        notes: "The zone is TZ, else the /etc/localtime link, else /etc/timezone; offset and abbreviation come from the C library (localtime_r). " +
               "`ntp.synchronized` is the kernel's view (adjtimex STA_UNSYNC), the same as timedatectl's \"System clock synchronized\"; null when it cannot be read.");

    static Outcome<TimeResult> Run(VerbContext ctx)
    {
        var result = Collect(ctx.Warn);
        return new Outcome<TimeResult>(result, false).WithRaw(RawPayload.FromText(result.Utc));
    }

    public static TimeResult Collect(Action<string> warn)
    {
        var now = DateTimeOffset.UtcNow;
        var zone = LocalTimeZone.Read(now.ToUnixTimeSeconds());
        var local = now.ToOffset(TimeSpan.FromSeconds(zone.UtcOffsetSeconds - zone.UtcOffsetSeconds % 60));
        var clock = Adjtimex.Read(out var errno);
        if (clock is null) warn($"adjtimex failed ({Resh.Core.Platform.Posix.StrError(errno)}); NTP state is unknown.");
        var ntp = clock is { } c
            ? new NtpStatus(c.Synchronized, c.StateName, c.StatusNames(), c.OffsetUs, c.MaxErrorUs, c.EstErrorUs, c.TaiOffset)
            : new NtpStatus(null, null, [], null, null, null, null);
        const string clockDir = "/sys/devices/system/clocksource/clocksource0/";
        var rtc = ProcFile.ReadLong("/sys/class/rtc/rtc0/since_epoch");
        return new TimeResult(
            SystemText.Rfc3339Millis(now),
            local.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
            now.ToUnixTimeMilliseconds() / 1000.0,
            zone.Name, zone.Source, zone.Abbreviation, SystemText.Offset(zone.UtcOffsetSeconds), zone.UtcOffsetSeconds, zone.Dst,
            ntp,
            ProcFile.ReadTrimmed(clockDir + "current_clocksource"),
            ProcFile.ReadTrimmed(clockDir + "available_clocksource")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [],
            rtc is > 0 ? SystemText.Rfc3339(DateTimeOffset.FromUnixTimeSeconds(rtc.Value)) : null);
    }
}
