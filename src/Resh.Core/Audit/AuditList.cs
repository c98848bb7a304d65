using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Text;
using Resh.Core.Values;

namespace Resh.Core.Audit;

/// <summary>
/// <c>resh audit list</c>: the records that match every filter given, the newest <c>limit</c> of them, oldest first.
/// Handle, verb, identity and surface filters are globs (<c>*</c>, <c>?</c>); time bounds are a duration back from
/// now (<c>1h</c>) or an RFC 3339 time.
/// </summary>
public sealed record AuditFilter(DateTime? Since, DateTime? Until, string? Identity, string? Handle, string? Verb, string? Code, string? Surface)
{
    public static DateTime? ParseTime(string? text, string name, DateTime now)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (DurationValue.TryParse(text, out var ago)) return now - ago;
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)) return t;
        throw ReshError.Usage($"`{text}` is neither a duration nor a time, so {name}= cannot use it.",
            $"Examples: {name}=1h (an hour ago), {name}=2026-12-01T00:00:00Z").ToException();
    }

    public bool Matches(AuditEntry e)
    {
        if (Since is { } s || Until is not null)
        {
            if (!DateTime.TryParse(e.Time, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)) return false;
            if (Since is { } since && t < since) return false;
            if (Until is { } until && t > until) return false;
        }
        return Glob(Identity, e.Identity) && Glob(Handle, e.Handle) && Glob(Verb, e.Verb) && Glob(Surface, e.Surface)
            && (Code is null || string.Equals(Code, e.Code, StringComparison.Ordinal));
    }

    static bool Glob(string? pattern, string value) => pattern is null || Text.Glob.Matches(pattern, value);
}

public static class AuditList
{
    public static Outcome<AuditListResult> Run(string logPath, AuditFilter filter, int limit, CancellationToken ct)
    {
        var kept = new Queue<AuditEntry>();
        long matched = 0;
        using var log = AuditLogFile.OpenRead(logPath);
        foreach (var (line, complete) in AuditLines.Read(log))
        {
            ct.ThrowIfCancellationRequested();
            if (!complete) break;
            AuditEntry? entry;
            try { entry = JsonSerializer.Deserialize(line, AuditResultJson.Default.AuditEntry); }
            catch (JsonException) { continue; } // `audit verify` reports it
            if (entry is null || !filter.Matches(entry)) continue;
            matched++;
            kept.Enqueue(entry);
            if (kept.Count > limit) kept.Dequeue();
        }
        return new AuditListResult(kept.ToArray(), matched, matched > kept.Count);
    }
}
