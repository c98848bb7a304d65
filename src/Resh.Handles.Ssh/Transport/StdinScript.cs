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

    public static async Task<ProcessResult> RunAsync(SshClient client, HostTarget host, string script, byte[]? stdin, TimeSpan deadline,
        int maxOutput, string phase, bool killOnCancel)
    {
        if (script.Contains('\n')) throw new ArgumentException("The script must be one line (use ShellQuote.QuoteOneLine).", nameof(script));
        var ctx = client.Context;
        var argv = SshCommand.Ssh(client.Settings, host, ShellQuote.StdinBootstrap);
        ctx.Runtime.Log($"ssh: {string.Join(' ', argv.Select(a => a.Contains(' ') || a.Contains('\n') ? ShellQuote.Quote(a) : a))} (script and data on stdin)");
        var clock = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        cts.CancelAfter(deadline);
        using var child = ChildProcess.Start(argv, maxOutput, killOnCancel ? PidMarker : null);
        var input = new MemoryStream();
        input.Write(Encoding.UTF8.GetBytes(script + "\n"));
        if (stdin is { Length: > 0 }) input.Write(stdin);
        var feed = child.FeedAsync(input.ToArray(), cts.Token);
        var stdout = Capture(child.Stdout, maxOutput);
        int exit;
        try
        {
            exit = await child.WaitAsync(cts.Token).ConfigureAwait(false);
            await feed.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            if (killOnCancel && child.MarkerAsync.IsCompletedSuccessfully && child.MarkerAsync.Result is { } pid && int.TryParse(pid, out var p))
                await KillAsync(client, host, p).ConfigureAwait(false);
            child.Kill();
            if (ctx.Cancellation.IsCancellationRequested) throw;
            throw ReshError.Timeout($"{host.Alias} did not finish the {phase} step within {Resh.Core.Values.DurationValue.Format(deadline)}.",
                "Raise the verb's timeout, or check the host's load and network.", new JsonObject { ["host"] = host.Alias, ["phase"] = phase }).ToException();
        }
        var (outText, outTrunc) = await stdout.ConfigureAwait(false);
        var (errText, errTrunc) = await child.StderrAsync().ConfigureAwait(false);
        return new ProcessResult(exit, outText, errText, outTrunc, errTrunc, clock.Elapsed);
    }

    /// <summary>TERM to the remote process group, through the ControlMaster, within a short bound (the executor prints the envelope 2 s after a signal).</summary>
    static async Task KillAsync(SshClient client, HostTarget host, int pid)
    {
        var argv = SshCommand.Ssh(client.Settings, host, $"kill -TERM -- -{pid} 2>/dev/null || kill -TERM {pid} 2>/dev/null; exit 0");
        client.Context.Runtime.Log($"ssh: stopping process group {pid} on {host.Alias}");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(1500));
        try { await ProcessRunner.RunAsync(argv, null, cts.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        catch (ReshException) { }
    }

    static async Task<(string, bool)> Capture(Stream stream, int max)
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
        return (Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length), truncated);
    }
}
