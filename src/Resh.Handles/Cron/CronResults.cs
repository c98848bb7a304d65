using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Cron;

[Description("One scheduled job.")]
public sealed record CronEntry(
    [property: Description("Stable id: the resh id for jobs resh manages, the timer name for systemd timers, else c-<hash of source and line>.")] string Id,
    [property: Description("cron or systemd.")] string Backend,
    [property: Description("Where it is defined: a crontab file or a timer unit.")] string Source,
    [property: Description("The user the command runs as.")] string? User,
    [property: Description("The cron expression (or macro); for foreign systemd timers their OnCalendar= values.")] string Schedule,
    string Command,
    bool Enabled,
    [property: Description("True when resh manages it (marked block or resh-*.timer).")] bool Managed,
    string? Comment,
    [property: Description("Next run times, RFC 3339 with offset.")] IReadOnlyList<string> NextRuns);

public sealed record CronListResult(int Count, IReadOnlyList<CronEntry> Entries);

public sealed record CronChangeResult(
    string Id,
    string Backend,
    [property: Description("The file or unit written or removed.")] string Path,
    [property: Description("Unified diff of the crontab or unit change (null when unchanged).")] string? Diff,
    CronEntry? Entry);

public sealed record CronNextResult(
    string Expression,
    [property: Description("IANA time zone the times are computed in.")] string TimeZone,
    IReadOnlyList<string> Times);

public sealed record CronValidateResult(
    string Expression,
    bool Valid,
    [property: Description("The schedule in words.")] string? Description,
    [property: Description("Why it is invalid.")] string? Error,
    [property: Description("The same schedule as systemd OnCalendar= values.")] IReadOnlyList<string> OnCalendar,
    IReadOnlyList<string> NextRuns);

public sealed record CronRunResult(
    string Id,
    IReadOnlyList<string> Command,
    [property: Description("The command's exit status; null in a dry run (nothing ran).")] int? ExitCode,
    string Stdout,
    string Stderr,
    double DurationMs);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CronListResult))]
[JsonSerializable(typeof(CronChangeResult))]
[JsonSerializable(typeof(CronNextResult))]
[JsonSerializable(typeof(CronValidateResult))]
[JsonSerializable(typeof(CronRunResult))]
internal sealed partial class CronJson : JsonSerializerContext;
