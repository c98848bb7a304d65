using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Core.Audit;

/// <summary>
/// <c>resh audit verify</c>: walks the chain. Each record must carry the next sequence number and the hash of the
/// line before it, and the head file must name the last record: an edited line breaks the link after it, a deleted or
/// moved one breaks the numbering, a cut-off tail disagrees with the head.
/// </summary>
public static class AuditVerify
{
    public static Outcome<AuditVerifyResult> Run(string logPath, string headPath, CancellationToken ct)
    {
        var problems = new List<AuditProblem>();
        long records = 0, lineNo = 0, lastSeq = 0;
        var prevHash = AuditTrail.Genesis;
        var unfinished = new SortedSet<long>();
        using (var log = AuditLogFile.OpenRead(logPath))
        {
            foreach (var (line, complete) in AuditLines.Read(log))
            {
                ct.ThrowIfCancellationRequested();
                lineNo++;
                var hash = AuditTrail.Hash(line);
                if (!complete)
                {
                    problems.Add(new AuditProblem(lastSeq + 1, lineNo, "The last line is incomplete (no newline): a write was cut short or the file was edited."));
                    break;
                }
                long seq; string? prev;
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    seq = doc.RootElement.GetProperty("seq").GetInt64();
                    prev = doc.RootElement.GetProperty("prev").GetString();
                    if (doc.RootElement.TryGetProperty("phase", out var phase) && phase.ValueKind == JsonValueKind.String && phase.GetString() == AuditRecord.StartedPhase)
                        unfinished.Add(seq);
                    if (doc.RootElement.TryGetProperty("started", out var started) && started.ValueKind == JsonValueKind.Number && started.TryGetInt64(out var of))
                        unfinished.Remove(of);
                }
                catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    problems.Add(new AuditProblem(lastSeq + 1, lineNo, "The line is not an audit record."));
                    lastSeq++; prevHash = hash; records++;
                    continue;
                }
                if (seq != lastSeq + 1)
                    problems.Add(new AuditProblem(seq, lineNo, seq <= lastSeq
                        ? $"Record {seq} comes after record {lastSeq}: records were moved or copied."
                        : $"Records {lastSeq + 1}..{seq - 1} are missing: they were deleted."));
                else if (prev != prevHash)
                    problems.Add(new AuditProblem(seq, lineNo, lineNo == 1
                        ? "The first record does not start the chain: records before it were deleted."
                        : $"Record {seq} does not chain to the line before it: that line (record {lastSeq}) was edited."));
                lastSeq = seq; prevHash = hash; records++;
            }
        }

        if (!File.Exists(headPath))
        {
            if (records > 0) problems.Add(new AuditProblem(0, 0, $"The head file {headPath} is missing, so a cut-off tail cannot be ruled out."));
        }
        else
        {
            try
            {
                using var head = JsonDocument.Parse(File.ReadAllBytes(headPath));
                var headSeq = head.RootElement.GetProperty("seq").GetInt64();
                var headHash = head.RootElement.GetProperty("hash").GetString();
                if (headSeq > lastSeq)
                    problems.Add(new AuditProblem(lastSeq + 1, 0, $"The head names record {headSeq}, but the log ends at record {lastSeq}: its tail was cut off."));
                else if (headSeq < lastSeq)
                    problems.Add(new AuditProblem(headSeq + 1, 0, $"The log has records after {headSeq}, the last one the head names: they were appended by something other than resh (or a write was cut short)."));
                else if (headHash != prevHash)
                    problems.Add(new AuditProblem(lastSeq, records, $"The last record ({lastSeq}) does not match the head's hash: it was edited."));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
            {
                problems.Add(new AuditProblem(0, 0, $"The head file {headPath} is unreadable or not resh's."));
            }
        }

        var result = new AuditVerifyResult(logPath, records, problems.Count == 0, lastSeq, prevHash, problems, unfinished.ToArray());
        if (problems.Count == 0) return result;
        var details = new JsonObject
        {
            ["path"] = logPath,
            ["problems"] = new JsonArray(problems.Select(p => (JsonNode?)new JsonObject { ["seq"] = p.Seq, ["line"] = p.Line, ["problem"] = p.Problem }).ToArray()),
        };
        var first = problems[0];
        return ReshError.Failed($"The audit trail was altered: {first.Problem}{(problems.Count > 1 ? $" ({problems.Count} problems in all)" : "")}",
            "Keep the log as evidence; details.problems lists every break. New records keep chaining from the last line.", details);
    }

    public static string Human(AuditVerifyResult r)
    {
        var sb = new StringBuilder();
        sb.Append(r.Intact ? $"intact: {r.Records} records, last {r.LastSeq} ({r.LastHash})\n" : $"ALTERED: {r.Problems.Count} problems in {r.Records} records\n");
        if (r.Unfinished.Count > 0) sb.Append($"  started with no outcome (still running, or the process died): records {string.Join(", ", r.Unfinished)}\n");
        foreach (var p in r.Problems) sb.Append($"  line {p.Line}, record {p.Seq}: {p.Problem}\n");
        return sb.ToString();
    }
}
