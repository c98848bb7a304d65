using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Remote;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh.Transfer;

/// <summary>
/// Runs an sftp batch through the host's ControlMaster and, on a terminal, draws a progress bar
/// by watching the sftp process's file offsets in /proc (sftp -b has no progress output of its own).
/// </summary>
public static class SftpBatch
{
    public static string Q(string path) => RemoteRunner.SftpQuote(path);

    /// <param name="localFiles">The local files sftp reads or writes, in batch order, with their sizes (for progress).</param>
    public static async Task RunAsync(VerbContext ctx, SshClient client, HostTarget host, string batch, IReadOnlyList<(string Path, long Size)> localFiles, string label)
    {
        var argv = SshCommand.Sftp(client.Settings, host);
        ctx.Runtime.Log($"ssh: {string.Join(' ', argv)}\n{batch}");
        var total = localFiles.Sum(f => f.Size);
        using var bar = ctx.Progress(label, total);
        using var child = await ChildProcess.StartAsync(argv, ctx.Cancellation).ConfigureAwait(false);
        await child.FeedAsync(Encoding.UTF8.GetBytes(batch), ctx.Cancellation).ConfigureAwait(false);
        var stdout = child.Stdout.CopyToAsync(Stream.Null, ctx.Cancellation);
        var exit = child.WaitAsync(ctx.Cancellation);
        if (bar.Enabled)
        {
            var index = localFiles.Select((f, i) => (f.Path, i)).ToDictionary(x => x.Path, x => x.i);
            var before = new long[localFiles.Count + 1];
            for (int i = 0; i < localFiles.Count; i++) before[i + 1] = before[i] + localFiles[i].Size;
            while (!exit.IsCompleted)
            {
                if (Current(child.Pid, index) is { } cur) bar.Report(before[cur.Index] + cur.Offset);
                await Task.WhenAny(exit, Task.Delay(100, ctx.Cancellation)).ConfigureAwait(false);
            }
            bar.Report(total);
        }
        var code = await exit.ConfigureAwait(false);
        try { await stdout.ConfigureAwait(false); } catch (IOException) { }
        if (code == 0) return;
        var (stderr, _) = await child.StderrAsync().ConfigureAwait(false);
        if (SshClient.IsSshFailure(code, stderr)) throw (await client.FailureAsync(host, stderr).ConfigureAwait(false)).ToException();
        var line = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? $"sftp exited with {code}";
        var error = line.Contains("Permission denied", StringComparison.Ordinal)
            ? ReshError.PermissionDenied($"sftp on {host.Alias}: {line}", "Check the remote path's permissions.", null)
            : line.Contains("No such file", StringComparison.Ordinal)
                ? ReshError.NotFound($"sftp on {host.Alias}: {line}", "Check that the destination's parent directory exists.", null)
                : ReshError.Failed($"sftp on {host.Alias}: {line}", null, null);
        throw (error with { Details = new JsonObject { ["host"] = host.Alias, ["phase"] = "transfer", ["stderr"] = stderr } }).ToException();
    }

    /// <summary>Which of our files the process has open, and its offset there (from /proc/PID/fd and fdinfo).</summary>
    static (int Index, long Offset)? Current(int pid, Dictionary<string, int> files)
    {
        try
        {
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is null || !files.TryGetValue(target, out var i)) continue;
                foreach (var line in File.ReadLines($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}"))
                    if (line.StartsWith("pos:", StringComparison.Ordinal) && long.TryParse(line[4..].Trim(), CultureInfo.InvariantCulture, out var pos))
                        return (i, pos);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
