using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;
using Resh.Handles.Ssh.Hosts;

namespace Resh.Handles.Ssh.Transport;

/// <summary>
/// Runs ssh, sftp and <c>ssh -G</c> for one call: logs the argv under --verbose, applies a deadline
/// on top of the call's cancellation, and turns ssh's own failures into envelope errors with the
/// failing phase (and, for host keys, the fingerprint the host presented).
/// </summary>
public sealed class SshClient(VerbContext ctx, SshSettings settings)
{
    public VerbContext Context => ctx;
    public SshSettings Settings => settings;

    public async Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, byte[]? stdin, TimeSpan? deadline, int maxOutput, string phase, HostTarget host)
    {
        ctx.Runtime.Log($"ssh: {string.Join(' ', argv.Select(a => a.Contains(' ') ? ShellQuote.Quote(a) : a))}");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        if (deadline is { } d) cts.CancelAfter(d);
        try
        {
            return await ProcessRunner.RunAsync(argv, new ProcessOptions { Stdin = stdin, MaxOutputBytes = maxOutput }, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ctx.Cancellation.IsCancellationRequested)
        {
            throw DeadlineError(host, phase, deadline!.Value).ToException();
        }
    }

    /// <summary>Runs a command string on the host (through the ControlMaster unless <paramref name="multiplex"/> is false).</summary>
    public Task<ProcessResult> ExecAsync(HostTarget host, string command, byte[]? stdin = null, TimeSpan? deadline = null,
        int maxOutput = 8 * 1024 * 1024, bool multiplex = true, string phase = "command")
        => RunAsync(SshCommand.Ssh(settings, host, command, multiplex), stdin, deadline, maxOutput, phase, host);

    /// <summary>Runs an sftp batch (each line one sftp command); a failing command fails the batch.</summary>
    public Task<ProcessResult> SftpAsync(HostTarget host, string batch, TimeSpan? deadline = null)
        => RunAsync(SshCommand.Sftp(settings, host), System.Text.Encoding.UTF8.GetBytes(batch), deadline, 1024 * 1024, "sftp", host);

    /// <summary>True when the exit status and stderr say ssh itself failed rather than the remote command.</summary>
    public static bool IsSshFailure(int exitCode, string stderr) => exitCode == SshFailure.SshExitCode && SshFailure.Classify(stderr).Phase != "session";

    /// <summary>The envelope error for an ssh failure; a host-key refusal carries the presented fingerprint.</summary>
    public async Task<ReshError> FailureAsync(HostTarget host, string stderr)
    {
        var failure = SshFailure.Classify(stderr);
        if (!failure.IsHostKey) return failure.ToError(host);
        var extra = new JsonObject();
        try
        {
            var effective = await EffectiveAsync(host).ConfigureAwait(false);
            var name = KnownHosts.NameFor(effective);
            extra["known_hosts_name"] = name;
            extra["known_hosts_files"] = new JsonArray(effective.All("userknownhostsfile").Select(f => (JsonNode?)f).ToArray());
            var keys = await HostKeys.FetchAsync(this, host, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            if (keys.Count > 0)
            {
                extra["key_type"] = keys[0].Type;
                extra["fingerprint"] = keys[0].Fingerprint;
            }
        }
        catch (ReshException) { } // the fingerprint is a courtesy; the refusal stands either way
        return failure.ToError(host, extra);
    }

    /// <summary><c>ssh -G</c>: the settings ssh will use for the host, after ~/.ssh/config and the per-host overrides.</summary>
    public async Task<SshEffectiveConfig> EffectiveAsync(HostTarget host)
    {
        var argv = SshCommand.Effective(settings, host);
        var r = await RunAsync(argv, null, TimeSpan.FromSeconds(10), 1024 * 1024, "config", host).ConfigureAwait(false);
        if (r.ExitCode != 0)
            throw ReshError.Usage($"ssh cannot read its configuration for {host.Alias}: {r.LastErrorLine}", "Fix the ssh config file named in the message.",
                new JsonObject { ["host"] = host.Alias, ["phase"] = "config" }).ToException();
        return SshEffectiveConfig.Parse(r.Stdout);
    }

    static ReshError DeadlineError(HostTarget host, string phase, TimeSpan deadline) =>
        ReshError.Timeout($"{host.Alias} did not finish the {phase} step within {Resh.Core.Values.DurationValue.Format(deadline)}.",
            "Raise the verb's timeout, or check the host's load and network.",
            new JsonObject { ["host"] = host.Alias, ["phase"] = phase });
}
