using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Plugin;

/// <summary>What one run of a plugin gave: its envelope (ok, changed, result, warnings) or the error resh made of its answer.</summary>
public sealed record PluginAnswer(bool Ok, bool Changed, JsonNode? Result, IReadOnlyList<string> Warnings, ReshError? Error,
    int? ExitCode, string StderrTail, double DurationMs, JsonObject? Envelope);

/// <summary>
/// Runs a plugin's executable once (protocol 1, oneshot): argv is the executable alone, cwd its directory, the
/// environment minimal (PATH, HOME, LANG, TMPDIR, RESH_PLUGIN_DIR, RESH_PROTOCOL: no secrets of resh), one JSON request on
/// stdin, one JSON envelope on stdout. Output is bounded (stdout 16 MiB, the last 8 KiB of stderr kept for details), the
/// run is bounded by --timeout (default 60 s) and the whole process tree is killed when it ends. Garbage, a crash, a
/// non-zero exit without an envelope, or a flood are `failed` with details, never a crash of resh.
/// </summary>
public static class PluginRunner
{
    public const int MaxStdoutBytes = 16 << 20;
    public const int StderrTailBytes = 8 << 10;
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <param name="timedOut">Whether a cancellation of <paramref name="ct"/> is the call's --timeout (else an interrupt, rethrown).</param>
    public static Task<PluginAnswer> RunAsync(LoadedPlugin plugin, JsonObject request, TimeSpan? timeout, Func<bool> timedOut, CancellationToken ct) =>
        plugin.Manifest.Mode == "ndjson"
            ? PluginSessions.RunAsync(plugin, request, timeout, timedOut, ct)
            : RunOnceAsync(plugin, request, timeout, timedOut, ct);

    /// <summary>How the plugin's executable is started, in either mode.</summary>
    internal static ProcessStartInfo StartInfo(LoadedPlugin plugin, out string exe)
    {
        exe = Path.Combine(plugin.Dir, plugin.Manifest.Executable);
        // The plugin leads its own session and process group (setsid execs it in place, so its pid is the group's id):
        // after the answer, a timeout or an interrupt the whole group is killed, children in the background included.
        var psi = new ProcessStartInfo(Setsid ?? exe)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = plugin.Dir,
        };
        if (Setsid is not null) psi.ArgumentList.Add(exe);
        psi.Environment.Clear();
        psi.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } path ? path : "/usr/local/bin:/usr/bin:/bin";
        psi.Environment["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/";
        psi.Environment["LANG"] = Environment.GetEnvironmentVariable("LANG") is { Length: > 0 } lang ? lang : "C.UTF-8";
        if (Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } tmp) psi.Environment["TMPDIR"] = tmp;
        psi.Environment["RESH_PLUGIN_DIR"] = plugin.Dir;
        psi.Environment["RESH_PROTOCOL"] = PluginManifest.CurrentProtocol.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["RESH_PLUGIN_MODE"] = plugin.Manifest.Mode;
        return psi;
    }

    internal static ReshError NotStarted(LoadedPlugin plugin, string why, string exe) =>
        ReshError.Failed($"The plugin {plugin.Manifest.Name} could not be started: {ExceptionTranslation.OneLine(why)}.",
            "Check the executable's first line (#!) names an interpreter that is installed, and that it is executable.",
            new JsonObject { ["executable"] = exe });

    /// <summary>setsid's own complaint when it could not exec the plugin (126/127 and its message on stderr).</summary>
    internal static bool SetsidFailed(int exit, string stderrTail) =>
        Setsid is not null && exit is 126 or 127 && stderrTail.StartsWith("setsid: failed to execute", StringComparison.Ordinal);

    static async Task<PluginAnswer> RunOnceAsync(LoadedPlugin plugin, JsonObject request, TimeSpan? timeout, Func<bool> timedOut, CancellationToken ct)
    {
        var psi = StartInfo(plugin, out var exe);
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        try { process.Start(); }
        catch (Win32Exception ex) { return Fail(NotStarted(plugin, ex.Message, exe), null, "", clock); }
        if (Setsid is not null) PluginReaper.Watch(process.Id);
        try { return await AnswerOnceAsync(plugin, process, request, timeout, timedOut, ct, clock).ConfigureAwait(false); }
        finally { if (Setsid is not null) PluginReaper.Forget(process.Id); }
    }

    static async Task<PluginAnswer> AnswerOnceAsync(LoadedPlugin plugin, Process process, JsonObject request, TimeSpan? timeout, Func<bool> timedOut,
        CancellationToken ct, Stopwatch clock)
    {

        using var limit = new CancellationTokenSource(timeout ?? DefaultTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
        var flooded = false;
        var stdoutTask = ReadBounded(process.StandardOutput.BaseStream, MaxStdoutBytes, () => { flooded = true; Kill(process); });
        var stderrTask = ReadTail(process.StandardError.BaseStream, StderrTailBytes);
        var stdin = Encoding.UTF8.GetBytes(request.ToJsonString() + "\n");
        try
        {
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, linked.Token).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException) { } // it exited without reading its request
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            KillGroup(process); // what the plugin left running in the background does not outlive the call
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            try { process.WaitForExit(2000); } catch (InvalidOperationException) { }
            var tail = await Drain(stderrTask).ConfigureAwait(false);
            if (ct.IsCancellationRequested && !timedOut()) throw;
            var limitText = Resh.Core.Values.DurationValue.Format(timeout ?? DefaultTimeout);
            return Fail(ReshError.Timeout($"The plugin {plugin.Manifest.Name} did not answer within {limitText}; it was killed.",
                "Raise --timeout if the work takes longer, or fix the plugin (resh plugin://NAME.test runs its examples).",
                new JsonObject { ["pid"] = process.Id, ["killed"] = true, ["stderr_tail"] = tail }), null, tail, clock);
        }
        // A child that kept stdout open after the plugin exited does not hold the call: a short grace, then the pipe is dropped.
        var done = await Task.WhenAny(Task.WhenAll(stdoutTask, stderrTask), Task.Delay(1000, CancellationToken.None)).ConfigureAwait(false);
        if (!stdoutTask.IsCompleted || !stderrTask.IsCompleted)
        {
            try { process.StandardOutput.BaseStream.Dispose(); process.StandardError.BaseStream.Dispose(); } catch (IOException) { }
        }
        var exit = process.ExitCode;
        var stderrTail = await Drain(stderrTask).ConfigureAwait(false);
        if (SetsidFailed(exit, stderrTail))
            return Fail(NotStarted(plugin, stderrTail.Trim(), Path.Combine(plugin.Dir, plugin.Manifest.Executable)), exit, stderrTail, clock);
        byte[] stdout;
        try { stdout = await stdoutTask.ConfigureAwait(false); }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException) { stdout = []; }
        _ = done;

        JsonObject Details(JsonObject? extra = null)
        {
            var d = new JsonObject { ["exit_code"] = exit, ["signal"] = exit > 128 && exit < 128 + 65 ? exit - 128 : null, ["stderr_tail"] = stderrTail };
            if (extra is not null) foreach (var (k, v) in extra) d[k] = v?.DeepClone();
            return d;
        }
        if (flooded)
            return Fail(ReshError.Failed($"The plugin {plugin.Manifest.Name} wrote more than {MaxStdoutBytes >> 20} MiB to stdout; it was killed.",
                "A plugin answers with one JSON envelope; stream large data to a file and return its path.", Details(new JsonObject { ["max_stdout_bytes"] = MaxStdoutBytes })), exit, stderrTail, clock);

        var text = stdout.AsSpan();
        JsonObject? envelope = null;
        string? parseError = null;
        if (text.Trim((byte)' ').Trim("\r\n\t"u8).Length == 0) parseError = "it wrote nothing to stdout";
        else
        {
            try
            {
                var node = JsonNode.Parse(stdout, documentOptions: new JsonDocumentOptions { MaxDepth = 256 });
                envelope = node as JsonObject;
                if (envelope is null) parseError = "its stdout is JSON but not an object";
            }
            catch (JsonException) { parseError = "its stdout is not one JSON value"; }
        }
        if (envelope is null)
        {
            var head = Encoding.UTF8.GetString(stdout.AsSpan(0, Math.Min(stdout.Length, 300)));
            var why = exit != 0 ? $"exited with {exit}{(exit > 128 ? $" (signal {exit - 128})" : "")} and {parseError}" : parseError;
            return Fail(ReshError.Failed($"The plugin {plugin.Manifest.Name} answered no envelope: {why}.",
                "A plugin prints exactly one JSON object ({\"ok\":true,\"result\":...}) on stdout; diagnostics go to stderr. Try resh plugin://NAME.test.",
                Details(new JsonObject { ["stdout_head"] = head, ["stdout_bytes"] = stdout.Length })), exit, stderrTail, clock);
        }
        return FromEnvelope(plugin, envelope, exit, stderrTail, clock, Details());
    }

    /// <summary>The answer an envelope gives; <paramref name="exit"/> is null for a long-lived (ndjson) plugin.</summary>
    internal static PluginAnswer FromEnvelope(LoadedPlugin plugin, JsonObject envelope, int? exit, string stderrTail, Stopwatch clock, JsonObject details)
    {
        JsonObject Details() => (JsonObject)details.DeepClone();
        if (envelope["ok"] is not JsonValue okv || !okv.TryGetValue<bool>(out var ok))
            return Fail(ReshError.Failed($"The plugin {plugin.Manifest.Name} answered an envelope without a boolean `ok`.",
                "The envelope is {\"ok\":true,\"changed\":false,\"result\":...} or {\"ok\":false,\"error\":{\"code\",\"message\"}}.", Details()), exit, stderrTail, clock, envelope);
        var warnings = new List<string>();
        if (envelope["warnings"] is JsonArray wa)
            foreach (var w in wa.Take(20))
                if (w is JsonValue wv && wv.TryGetValue<string>(out var ws)) warnings.Add(Clip(ws, 500));
        if (ok)
        {
            if (exit is not (null or 0))
                return Fail(ReshError.Failed($"The plugin {plugin.Manifest.Name} answered ok but exited with {exit}.", "Exit 0 after a successful answer.", Details()), exit, stderrTail, clock, envelope);
            var changed = envelope["changed"] is JsonValue cv && cv.TryGetValue<bool>(out var c) && c;
            return new PluginAnswer(true, changed, envelope["result"]?.DeepClone(), warnings, null, exit, stderrTail, clock.Elapsed.TotalMilliseconds, envelope);
        }
        return new PluginAnswer(false, false, null, warnings, ErrorOf(plugin, envelope["error"], Details()), exit, stderrTail, clock.Elapsed.TotalMilliseconds, envelope);
    }

    /// <summary>The plugin's error as resh's: codes outside SPEC §3 become failed (the plugin's code kept in details).</summary>
    static ReshError ErrorOf(LoadedPlugin plugin, JsonNode? node, JsonObject run)
    {
        if (node is not JsonObject e)
            return ReshError.Failed($"The plugin {plugin.Manifest.Name} failed without saying why (no `error` object).", null, run);
        string? Str(string key) => e[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var wire = Str("code") ?? "failed";
        var message = Clip(Str("message") ?? $"The plugin {plugin.Manifest.Name} failed.", 1000);
        var hint = Str("hint") is { } h ? Clip(h, 1000) : null;
        var details = e["details"] is JsonObject d ? (JsonObject)d.DeepClone() : new JsonObject();
        if (!ErrorCodes.TryParse(wire, out var code) || code is ErrorCode.Partial or ErrorCode.Interrupted)
        {
            details["plugin_code"] = Clip(wire, 100);
            code = ErrorCode.Failed;
        }
        if (!details.ContainsKey("exit_code")) details["exit_code"] = run["exit_code"]?.DeepClone();
        return new ReshError(code, message, hint, details);
    }

    internal static PluginAnswer Fail(ReshError error, int? exit, string tail, Stopwatch clock, JsonObject? envelope = null) =>
        new(false, false, null, [], error, exit, tail, clock.Elapsed.TotalMilliseconds, envelope);

    internal static string Clip(string s, int max) => s.Length <= max ? s : s[..max] + "…";

    /// <summary>/usr/bin/setsid (util-linux) when installed; else the plugin runs in resh's process group (tree kill only).</summary>
    internal static readonly string? Setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    internal static void Kill(Process p)
    {
        try { p.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
        catch (Win32Exception) { }
        KillGroup(p);
    }

    /// <summary>SIGKILL to the plugin's process group (its pid, as setsid made it a group leader); a gone group is ESRCH, ignored.</summary>
    internal static void KillGroup(Process p)
    {
        if (Setsid is null) return;
        int pid;
        try { pid = p.Id; } catch (InvalidOperationException) { return; }
        if (pid > 1 && pid != Environment.ProcessId && pid != LibC.GetPgrp()) _ = LibC.Kill(-pid, 9);
    }

    static async Task<string> Drain(Task<string> stderr)
    {
        var finished = await Task.WhenAny(stderr, Task.Delay(1000)).ConfigureAwait(false);
        if (finished != stderr) return "";
        try { return await stderr.ConfigureAwait(false); }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException) { return ""; }
    }

    /// <summary>Reads a stream up to <paramref name="max"/> bytes; beyond that calls <paramref name="overflow"/> once and stops keeping.</summary>
    static async Task<byte[]> ReadBounded(Stream s, int max, Action overflow)
    {
        var kept = new MemoryStream();
        var buffer = new byte[65536];
        while (true)
        {
            int n;
            try { n = await s.ReadAsync(buffer).ConfigureAwait(false); }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException) { break; }
            if (n == 0) break;
            if (kept.Length + n > max)
            {
                overflow();
                break;
            }
            kept.Write(buffer, 0, n);
        }
        return kept.ToArray();
    }

    /// <summary>Reads a stream to its end, keeping its last <paramref name="tail"/> bytes as text (secrets masked before the cut).</summary>
    static async Task<string> ReadTail(Stream s, int tail)
    {
        var ring = new StderrTail(tail);
        await ring.ReadAsync(s).ConfigureAwait(false);
        return ring.Snapshot();
    }
}
