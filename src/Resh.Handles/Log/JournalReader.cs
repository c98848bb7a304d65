using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;

namespace Resh.Handles.Log;

/// <summary>
/// The systemd journal through `journalctl -o json` (an argv array, never a shell string): one JSON object per line,
/// streamed and parsed as it arrives, so a large journal is read in bounded memory.
/// </summary>
public static class JournalReader
{
    public sealed record Query(string? Unit, string? Directory, string? Identifier, long? Last, DateTimeOffset? Since, DateTimeOffset? Until, int? Level, bool Follow);

    public static List<string> Args(Query q)
    {
        var argv = new List<string> { "journalctl", "--no-pager", "--quiet", "-o", "json" };
        if (q.Directory is not null) argv.AddRange(["-D", q.Directory]);
        if (q.Unit is not null) argv.AddRange(["-u", q.Unit]);
        if (q.Identifier is not null) argv.AddRange(["-t", q.Identifier]);
        if (q.Last is { } n) argv.AddRange(["-n", n.ToString(CultureInfo.InvariantCulture)]);
        else if (q.Follow) argv.AddRange(["-n", "0"]);
        if (q.Since is { } s) argv.Add("--since=@" + s.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        if (q.Until is { } u) argv.Add("--until=@" + Math.Max(0, u.ToUnixTimeSeconds() - (u.Millisecond > 0 || u.Ticks % TimeSpan.TicksPerSecond > 0 ? 0 : 1)).ToString(CultureInfo.InvariantCulture));
        if (q.Level is { } l) argv.AddRange(["-p", l.ToString(CultureInfo.InvariantCulture)]);
        if (q.Follow) argv.Add("-f");
        return argv;
    }

    public static Query From(VerbContext ctx, LogSource source, LogFilter filter, long? last, bool follow)
    {
        string? dir = ctx.Get(LogArgs.Directory);
        if (dir is not null)
        {
            dir = Resh.Handles.Files.FilePaths.ResolveArg(ctx, dir, "directory");
            if (!System.IO.Directory.Exists(dir)) throw ReshError.NotFound($"The journal directory {dir} does not exist.", "Give the directory that holds the *.journal files (journalctl -D).").ToException();
        }
        return new Query(source.Unit, dir, ctx.Get(LogArgs.Identifier), last, filter.Since, filter.Until, filter.Level, follow);
    }

    /// <summary>
    /// Runs journalctl and hands each entry (parsed, with its line as text) to <paramref name="onEntry"/> until it returns false,
    /// the journal ends, or the call is cancelled. Returns how many entries were read.
    /// </summary>
    public static async Task<long> ReadAsync(VerbContext ctx, Query q, int maxLine, Func<LogEntry, string, bool> onEntry)
    {
        var argv = Args(q);
        var program = ProcessRunner.Which("journalctl")
            ?? throw ReshError.Unavailable("journalctl is not installed.", "Install systemd (journalctl), or read log files: log:///var/log/syslog").ToException();
        // journalctl --quiet says nothing and exits 0 when it finds no journal file at all, exactly as for a unit with no
        // entries: say so, or a host that keeps no journal looks like a quiet unit.
        if (!HasJournalFiles(q.Directory))
            ctx.Warn($"No journal files were found in {q.Directory ?? string.Join(" or ", SystemJournalDirs)}: this host keeps no systemd journal there, so there are no entries to read; its logs may be in files (log:///var/log/syslog) or another journal directory (directory=).");
        ProcessRunner.Trace?.Invoke(string.Join(' ', argv));
        var psi = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        psi.Environment["SYSTEMD_PAGER"] = "";
        using var p = Process.Start(psi) ?? throw ReshError.Unavailable("journalctl could not be started.", "Check that journalctl runs.").ToException();
        p.StandardInput.Close();
        var stderrTask = p.StandardError.ReadToEndAsync(CancellationToken.None);
        long count = 0;
        bool stopped = false;
        using var kill = ctx.Cancellation.Register(() => { try { p.Kill(true); } catch (InvalidOperationException) { } });
        try
        {
            await Task.Run(() =>
            {
                var now = DateTimeOffset.Now;
                LogScan.ReadLines(p.StandardOutput.BaseStream, maxLine, (line, cut) =>
                {
                    var text = System.Text.Encoding.UTF8.GetString(line);
                    var e = LogFormats.Parse(text, "json", now);
                    if (e.Fields is not null) foreach (var k in e.Fields.Keys.Where(k => k.StartsWith("__", StringComparison.Ordinal)).ToList()) e.Fields.Remove(k);
                    e.Format = "journal";
                    count++;
                    if (!onEntry(e, Text(e))) { stopped = true; return false; }
                    return true;
                }, ctx.Cancellation);
            }, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            try { if (!p.HasExited) p.Kill(true); } catch (InvalidOperationException) { }
        }
        ctx.Cancellation.ThrowIfCancellationRequested();
        await p.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        var stderr = await stderrTask.ConfigureAwait(false);
        if (!stopped && (p.ExitCode != 0 || count == 0 && Denied(stderr))) throw Failure(p.ExitCode, stderr).ToException();
        return count;
    }

    /// <summary>The entry as journalctl -o short-iso prints it: time host identifier[pid]: message.</summary>
    public static string Text(LogEntry e) =>
        $"{(e.Time is { } t ? LogTime.Format(t) : "-")} {e.Host ?? "-"} {e.App ?? "-"}{(e.Pid is { } p ? $"[{p}]" : "")}: {e.Message.ReplaceLineEndings(" ")}";

    /// <summary>Where journalctl reads the system journal (persistent, then volatile), each with a subdirectory per machine id.</summary>
    static readonly string[] SystemJournalDirs = ["/var/log/journal", "/run/log/journal"];

    /// <summary>
    /// Whether a *.journal (or *.journal~) file exists in the directory journalctl -D reads, or in the system journal's
    /// directories, at most two levels down (machine-id subdirectories). A directory that may not be listed counts as
    /// having files: journalctl's own permission error then says what is wrong.
    /// </summary>
    static bool HasJournalFiles(string? directory)
    {
        foreach (var dir in directory is null ? SystemJournalDirs : [directory])
        {
            try
            {
                var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 1, IgnoreInaccessible = false, AttributesToSkip = 0 };
                if (System.IO.Directory.Exists(dir) && System.IO.Directory.EnumerateFiles(dir, "*.journal*", options).Any(f => f.EndsWith(".journal", StringComparison.Ordinal) || f.EndsWith(".journal~", StringComparison.Ordinal)))
                    return true;
            }
            catch (UnauthorizedAccessException) { return true; }
            catch (IOException) { return true; }
        }
        return false;
    }

    static bool Denied(string stderr) => stderr.Contains("insufficient permissions", StringComparison.Ordinal) || stderr.Contains("Permission denied", StringComparison.Ordinal);

    static ReshError Failure(int exitCode, string stderr)
    {
        var last = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => !l.StartsWith("Hint:", StringComparison.Ordinal)) ?? "";
        var details = new JsonObject { ["exit_code"] = exitCode, ["stderr"] = stderr.Length > 2000 ? stderr[..2000] : stderr.Trim() };
        if (Denied(stderr))
            return ReshError.PermissionDenied("This user may not read the system journal.", "Run as root, or add the user to the systemd-journal (or adm) group.", details);
        return ReshError.Failed($"journalctl exited with {exitCode}: {last}", "Check the unit name and the journal directory.", details);
    }
}
