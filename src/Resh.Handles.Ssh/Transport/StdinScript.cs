using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Ssh.Hosts;

namespace Resh.Handles.Ssh.Transport;

/// <summary>
/// Runs a shell script on a host with nothing but <see cref="ShellQuote.StdinBootstrap"/> on the command
/// line: the script is the first line of the channel's stdin and the caller's stdin bytes follow it. So
/// environment values, arguments and passwords never reach a command line (ps on either host shows only
/// the bootstrap). With <c>killOnCancel</c> the script reports its PID first (on stderr, kept out of the
/// captured output), and a cancelled call (Ctrl-C, SIGTERM, --timeout) kills that remote process group
/// over a second channel before the connection is dropped: closing an ssh channel without a terminal
/// does not stop the remote command.
/// </summary>
public static class StdinScript
{
    public const string PidMarker = "__RESH_PID__ ";

    /// <summary>The line a script starts with to report its process group (the login shell's PID, kept by exec).</summary>
    public const string ReportPid = "echo \"" + PidMarker + "$$\" >&2; ";

    /// <param name="become">Run the script as another user: the first line only starts a shell through sudo (su, doas), which reads the script as the next line.</param>
    /// <param name="stdinFile">A local file whose bytes follow <paramref name="stdin"/> (streamed, not held in memory).</param>
    /// <param name="stdoutSink">Where stdout goes instead of being captured (a download's local temporary file).</param>
    /// <param name="onFed">Told how many bytes of <paramref name="stdinFile"/> went to the host, as they go (a progress bar).</param>
    public static async Task<ProcessResult> RunAsync(SshClient client, HostTarget host, string script, byte[]? stdin, TimeSpan deadline,
        int maxOutput, string phase, bool killOnCancel, Become? become = null, string? stdinFile = null, Stream? stdoutSink = null, Action<long>? onFed = null)
    {
        if (script.Contains('\n')) throw new ArgumentException("The script must be one line (use ShellQuote.QuoteOneLine).", nameof(script));
        if (become is not null)
        {
            stdin = [.. become.StdinPrefix, .. Encoding.UTF8.GetBytes(script + "\n"), .. stdin ?? []];
            script = $"{(killOnCancel ? ReportPid : "")}{become.Prelude}__b={ShellQuote.QuoteOneLine(ShellQuote.StdinBootstrap)}; exec {become.Wrapper}/bin/sh -c \"$__b\"";
        }
        else if (killOnCancel && !script.StartsWith(ReportPid, StringComparison.Ordinal)) script = ReportPid + script;
        var ctx = client.Context;
        var argv = SshCommand.Ssh(client.Settings, host, ShellQuote.StdinBootstrap);
        ctx.Runtime.Log($"ssh: {string.Join(' ', argv.Select(a => a.Contains(' ') || a.Contains('\n') ? ShellQuote.Quote(a) : a))} (script and data on stdin)");
        var clock = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        cts.CancelAfter(deadline);
        using var child = await ChildProcess.StartAsync(argv, cts.Token, maxOutput, script.StartsWith(ReportPid, StringComparison.Ordinal) ? PidMarker : null).ConfigureAwait(false);
        var head = new MemoryStream();
        head.Write(Encoding.UTF8.GetBytes(script + "\n"));
        if (stdin is { Length: > 0 }) head.Write(stdin);
        var feed = stdinFile is null ? child.FeedAsync(head.ToArray(), cts.Token) : FeedFileAsync(child, head.ToArray(), stdinFile, onFed, cts.Token);
        var stdout = stdoutSink is null ? Capture(child.Stdout, maxOutput) : CopyAsync(child.Stdout, stdoutSink);
        int exit;
        try
        {
            exit = await child.WaitAsync(cts.Token).ConfigureAwait(false);
            await feed.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            if (child.MarkerAsync.IsCompletedSuccessfully && child.MarkerAsync.Result is { } pid && int.TryParse(pid, out var p))
                await KillAsync(client, host, p).ConfigureAwait(false);
            child.Kill();
            if (ctx.Cancellation.IsCancellationRequested) throw;
            throw ReshError.Timeout($"{host.Alias} did not finish the {phase} step within {Resh.Core.Values.DurationValue.Format(deadline)}.",
                "Raise the verb's timeout, or check the host's load and network.", new JsonObject { ["host"] = host.Alias, ["phase"] = phase }).ToException();
        }
        var (outText, outTrunc, outBytes) = await stdout.ConfigureAwait(false);
        var (errText, errTrunc) = await child.StderrAsync().ConfigureAwait(false);
        return new ProcessResult(exit, outText, errText, outTrunc, errTrunc, clock.Elapsed) { StdoutBytes = outBytes };
    }

    /// <summary>
    /// TERM through the ControlMaster, within a short bound (the executor prints the envelope 2 s after a signal).
    /// A plain command's whole process group gets it at once. A remote resh (<paramref name="reshFirst"/>) gets it
    /// alone first, so that it stops its verb its own way (a next hop's ssh is still alive to stop what runs there;
    /// TERM to the group would kill that ssh before resh could use it); the group follows 5 s later for anything
    /// left behind.
    /// </summary>
    internal static async Task KillAsync(SshClient client, HostTarget host, int pid, bool reshFirst = false)
    {
        var command = reshFirst
            ? $"kill -TERM {pid} 2>/dev/null; (sleep 5; kill -TERM -- -{pid}) </dev/null >/dev/null 2>&1 & exit 0"
            : $"kill -TERM -- -{pid} 2>/dev/null || kill -TERM {pid} 2>/dev/null; exit 0";
        var argv = SshCommand.Ssh(client.Settings, host, command);
        client.Context.Runtime.Log($"ssh: stopping process group {pid} on {host.Alias}");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(1500));
        try { await ProcessRunner.RunAsync(argv, null, cts.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        catch (ReshException) { }
    }

    static async Task FeedFileAsync(ChildProcess child, byte[] head, string path, Action<long>? onFed, CancellationToken ct)
    {
        try
        {
            await child.Stdin.WriteAsync(head, ct).ConfigureAwait(false);
            await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
            {
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await file.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    await child.Stdin.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    onFed?.Invoke(n);
                }
            }
            child.Stdin.Close();
        }
        catch (IOException) { }
    }

    static async Task<(string, bool, byte[]?)> CopyAsync(Stream from, Stream to)
    {
        try { await from.CopyToAsync(to).ConfigureAwait(false); }
        catch (IOException) { }
        return ("", false, null);
    }

    /// <summary>The output decoded for the envelope, and its exact bytes for <c>--format raw</c>.</summary>
    static async Task<(string, bool, byte[]?)> Capture(Stream stream, int max)
    {
        var kept = new MemoryStream();
        var buffer = new byte[16384];
        bool truncated = false;
        int n;
        try
        {
            while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                var room = max - (int)kept.Length;
                if (room > 0) kept.Write(buffer, 0, Math.Min(room, n));
                if (n > room) truncated = true;
            }
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        return (Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length), truncated, kept.ToArray());
    }
}
