using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Svc.Systemd;

/// <summary>The journal through journalctl's JSON output (one object per line).</summary>
internal static class Journal
{
    public static List<string> Args(string unit, long lines, string? since, string? until, string? priority, bool follow)
    {
        var argv = new List<string> { "journalctl", "--no-pager", "-o", "json", "-u", unit };
        // lines=0 means everything for a plain read, and only new lines for a follow.
        if (lines > 0) argv.AddRange(["-n", lines.ToString(CultureInfo.InvariantCulture)]);
        else argv.AddRange(["-n", follow ? "0" : "all"]);
        if (since is not null) argv.Add("--since=" + since);
        if (until is not null) argv.Add("--until=" + until);
        if (priority is not null) argv.AddRange(["-p", priority]);
        if (follow) argv.Add("-f");
        return argv;
    }

    public static async Task<List<SvcLogLine>> ReadAsync(IReadOnlyList<string> argv, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync(argv, null, ct).ConfigureAwait(false);
        if (!r.Succeeded) throw Failure(r.ExitCode, r.Stderr).ToException();
        var lines = new List<SvcLogLine>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (Parse(line) is { } l) lines.Add(l);
        // journalctl exits 0 with nothing when it may not open the system journal.
        if (lines.Count == 0 && Denied(r.Stderr)) throw Failure(r.ExitCode, r.Stderr).ToException();
        return lines;
    }

    static bool Denied(string stderr) => stderr.Contains("insufficient permissions", StringComparison.Ordinal) || stderr.Contains("Permission denied", StringComparison.Ordinal);

    /// <summary>journalctl's refusal as an envelope error: a bad time or priority is the caller's (usage), a closed journal permission_denied.</summary>
    static ReshError Failure(int exitCode, string stderr)
    {
        var last = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => !l.StartsWith("Hint:", StringComparison.Ordinal)) ?? "";
        var details = new JsonObject { ["exit_code"] = exitCode, ["stderr"] = stderr.Trim() };
        if (stderr.Contains("Failed to parse", StringComparison.Ordinal))
            return ReshError.Usage($"journalctl rejected the arguments: {last}",
                "since/until take journalctl times (-1h, today, \"2026-01-02 03:04\", @UNIXTIME); priority a level (err, warning, info) or 0-7.", details);
        if (Denied(stderr))
            return ReshError.PermissionDenied("This user may not read the system journal.",
                "Run as root, or add the user to the systemd-journal (or adm) group.", details);
        return ReshError.Failed($"journalctl exited with {exitCode}: {last}", "Check the since/until/priority values.", details);
    }

    /// <summary>The unit's journal since a moment (µs since the epoch), for failure details.</summary>
    public static async Task<List<string>> RecentMessagesAsync(string unit, long sinceUs, int max, CancellationToken ct)
    {
        try
        {
            var since = "@" + (sinceUs / 1_000_000).ToString(CultureInfo.InvariantCulture);
            var lines = await ReadAsync(Args(unit, max, since, null, null, false), ct).ConfigureAwait(false);
            return lines.Select(l => l.Message).ToList();
        }
        catch (ReshException) { return []; }
    }

    /// <summary>Runs journalctl -f and hands each parsed line to <paramref name="onLine"/> until cancelled.</summary>
    public static async Task<int> FollowAsync(IReadOnlyList<string> argv, Action<SvcLogLine> onLine, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(ProcessRunner.Which(argv[0]) ?? argv[0])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        using var p = new Process { StartInfo = psi };
        try { p.Start(); }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw ReshError.Unavailable($"Cannot run journalctl: {ex.Message}.", "Install systemd's journalctl.").ToException();
        }
        p.StandardInput.Close();
        var stderr = p.StandardError.ReadToEndAsync(CancellationToken.None);
        int count = 0;
        try
        {
            while (await p.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (Parse(line) is { } l) { onLine(l); count++; }
            }
            // journalctl -f ends by itself only when it refused to start (bad time, no journal access).
            await p.WaitForExitAsync(ct).ConfigureAwait(false);
            if (p.ExitCode != 0 || count == 0 && Denied(await stderr.ConfigureAwait(false)))
                throw Failure(p.ExitCode, await stderr.ConfigureAwait(false)).ToException();
        }
        finally
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        return count;
    }

    public static SvcLogLine? Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var o = doc.RootElement;
            string ts = "";
            if (o.TryGetProperty("__REALTIME_TIMESTAMP", out var rt) && long.TryParse(rt.GetString(), out var us))
                ts = DateTimeOffset.FromUnixTimeMilliseconds(us / 1000).UtcDateTime.AddTicks(us % 1000 * 10)
                    .ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
            int? prio = o.TryGetProperty("PRIORITY", out var p) && int.TryParse(p.GetString(), out var pv) ? pv : null;
            int? pid = o.TryGetProperty("_PID", out var pp) && int.TryParse(pp.GetString(), out var pidv) ? pidv : null;
            var ident = o.TryGetProperty("SYSLOG_IDENTIFIER", out var si) && si.ValueKind == JsonValueKind.String ? si.GetString() : null;
            return new SvcLogLine(ts, prio, ident, pid, Message(o));
        }
        catch (JsonException) { return null; }
    }

    /// <summary>MESSAGE is a string, or an array of bytes when it is not valid UTF-8.</summary>
    static string Message(JsonElement o)
    {
        if (!o.TryGetProperty("MESSAGE", out var m)) return "";
        if (m.ValueKind == JsonValueKind.String) return m.GetString() ?? "";
        if (m.ValueKind == JsonValueKind.Array)
        {
            var bytes = m.EnumerateArray().Select(b => b.TryGetByte(out var x) ? x : (byte)'?').ToArray();
            return Encoding.UTF8.GetString(bytes);
        }
        return "";
    }

    public static JsonObject ToEvent(SvcLogLine l) => new()
    {
        ["ts"] = l.Ts, ["priority"] = l.Priority, ["identifier"] = l.Identifier, ["pid"] = l.Pid, ["message"] = l.Message,
    };
}
