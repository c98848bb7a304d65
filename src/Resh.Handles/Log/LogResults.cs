using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Log;

[Description("A file that could not be read to its end.")]
public sealed record LogSkipped(string File, [property: Description("Why, and how far it was read.")] string Reason);

[Description("One log line.")]
public sealed record LogLine(
    [property: Description("The file it is in (null for the journal and stdin).")] string? File,
    [property: Description("Its line number in that file (null when read from the end).")] long? Line,
    [property: Description("Its time (RFC 3339 UTC), when the line has one.")] string? Ts,
    [property: Description("Its level (syslog names), when the line has one.")] string? Level,
    [property: Description("The line as written (UTF-8; invalid bytes become U+FFFD), without its newline.")] string Text,
    [property: Description("True when the line was longer than max_line and is cut.")] bool Cut);

public sealed record LogReadResult(
    string Source,
    [property: Description("The files read, oldest first.")] IReadOnlyList<string> Files,
    [property: Description("The last lines (lines=), oldest first.")] IReadOnlyList<LogLine> Lines,
    long Count,
    [property: Description("Lines longer than max_line (cut).")] long CutLines);

public sealed record LogSearchResult(
    string Source,
    IReadOnlyList<string> Files,
    [property: Description("How many lines matched.")] long Count,
    [property: Description("The first matching lines (up to limit=; none with count_only).")] IReadOnlyList<LogLine> Matches,
    [property: Description("True when more lines matched than limit= shows.")] bool Truncated,
    [property: Description("Lines read.")] long Scanned,
    [property: Description("Bytes read (decompressed).")] long Bytes,
    [property: Description("Lines longer than max_line, cut (for a plain word and no other filter: among the matching lines).")] long CutLines);

[Description("One parsed log line.")]
public sealed record LogRecord(
    string? File,
    long? Line,
    [property: Description("The format it was read as: rfc5424, rfc3164, json, logfmt, combined, plain.")] string Format,
    string? Ts,
    string? Level,
    string? Host,
    [property: Description("The program (syslog tag, JSON app/service/logger).")] string? App,
    int? Pid,
    string Message,
    [property: Description("Everything else the line carries (syslog facility and structured data, JSON and logfmt keys, access-log parts), as text.")] IReadOnlyDictionary<string, string>? Fields);

public sealed record LogParseResult(
    string Source,
    IReadOnlyList<string> Files,
    IReadOnlyList<LogRecord> Records,
    long Count,
    [property: Description("Lines per format.")] IReadOnlyDictionary<string, long> Formats,
    [property: Description("True when more lines passed the filters than limit= shows.")] bool Truncated,
    long CutLines);

[Description("The counts of one time bucket.")]
public sealed record LogBucket(
    [property: Description("Where the bucket begins (RFC 3339 UTC).")] string Start,
    long Total,
    IReadOnlyDictionary<string, long> Counts);

public sealed record LogStatsResult(
    string Source,
    IReadOnlyList<string> Files,
    [property: Description("What lines are counted by: level or a field.")] string By,
    [property: Description("The bucket width (bucket=); null: one total only.")] string? Bucket,
    long Total,
    [property: Description("Counts per value over everything (a line without the field counts as \"-\").")] IReadOnlyDictionary<string, long> Totals,
    IReadOnlyList<LogBucket> Buckets,
    [property: Description("Lines without a time (not in any bucket).")] long Untimed);

public sealed record LogFollowResult(
    string Source,
    [property: Description("Lines streamed.")] long Count,
    [property: Description("timeout, count or interrupted.")] string Ended,
    [property: Description("Times the file was replaced (rotated).")] long Rotations,
    [property: Description("Times the file was truncated (copytruncate).")] long Truncations);

public sealed record LogWriteResult(
    [property: Description("The file, or syslog:SOCKET.")] string Target,
    [property: Description("The line as written.")] string Line,
     long Bytes);

public sealed record LogRotateResult(
    string Path,
    [property: Description("False when the file did not need it (smaller than size=, newer than age=) or was empty.")] bool Rotated,
    string Reason,
    [property: Description("rename or copytruncate.")] string Mode,
    [property: Description("Where the current content went (NAME.1 or NAME.1.gz).")] string? RotatedTo,
     long Size,
    [property: Description("Old copies removed beyond keep=.")] IReadOnlyList<string> Removed);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LogReadResult))]
[JsonSerializable(typeof(LogSearchResult))]
[JsonSerializable(typeof(LogParseResult))]
[JsonSerializable(typeof(LogStatsResult))]
[JsonSerializable(typeof(LogFollowResult))]
[JsonSerializable(typeof(LogWriteResult))]
[JsonSerializable(typeof(LogRotateResult))]
internal sealed partial class LogJson : JsonSerializerContext;
