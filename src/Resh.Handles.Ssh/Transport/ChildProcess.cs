using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.Ssh.Transport;

/// <summary>
/// A running ssh/sftp child whose stdin and stdout are streams (for stdin forwarding and NDJSON
/// events as they arrive), with stderr captured up to a bound. Killing it takes its process tree.
/// Core's ProcessRunner covers the run-to-completion calls; this is for the streaming ones.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    readonly Process _process;
    readonly Resh.Core.Platform.ProcessSlots.Slot _slot;
    readonly Task<(string Text, bool Truncated)> _stderr;
    readonly string? _marker;
    readonly TaskCompletionSource<string?> _markerValue = new(TaskCreationOptions.RunContinuationsAsynchronously);

    ChildProcess(Process process, Resh.Core.Platform.ProcessSlots.Slot slot, int maxStderr, string? stderrMarker)
    {
        _process = process;
        _slot = slot;
        _marker = stderrMarker;
        if (_marker is null) _markerValue.TrySetResult(null);
        _stderr = Capture(process.StandardError.BaseStream, maxStderr);
    }

    /// <summary>
    /// The rest of stderr's first line when it starts with the marker given to <see cref="Start"/> (a remote
    /// wrapper's PID, say); that line is kept out of <see cref="StderrAsync"/>. Null when it did not come.
    /// </summary>
    public Task<string?> MarkerAsync => _markerValue.Task;

    public int Pid => _process.Id;
    public Stream Stdin => _process.StandardInput.BaseStream;
    public Stream Stdout => _process.StandardOutput.BaseStream;

    /// <summary>
    /// Starts <paramref name="argv"/>. When file descriptors or processes have run out, it waits for one of this
    /// process's children to end (<see cref="Resh.Core.Platform.ProcessSlots"/>); when none frees, the error says
    /// what ran out.
    /// </summary>
    public static async Task<ChildProcess> StartAsync(IReadOnlyList<string> argv, CancellationToken ct, int maxStderr = 256 * 1024, string? stderrMarker = null)
    {
        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C"; // ssh's messages are matched in SshFailure
        try
        {
            var (process, slot) = await Resh.Core.Platform.ProcessSlots.StartAsync(psi, ct).ConfigureAwait(false);
            return new ChildProcess(process, slot, maxStderr, stderrMarker);
        }
        catch (Win32Exception ex)
        {
            throw ReshError.Unavailable($"Cannot run {argv[0]}: {ExceptionTranslation.OneLine(ex.Message)}.",
                ex.NativeErrorCode is 2 or 13 or 8 ? "Install the OpenSSH client (Debian: apt-get install openssh-client)." : "Check the error in the message; rerun with --verbose.").ToException();
        }
    }

    /// <summary>Writes all of <paramref name="input"/> (if any) and closes stdin; a child that exits early is not an error.</summary>
    public async Task FeedAsync(ReadOnlyMemory<byte>? input, CancellationToken ct)
    {
        try
        {
            if (input is { Length: > 0 } bytes) await Stdin.WriteAsync(bytes, ct).ConfigureAwait(false);
            Stdin.Close();
        }
        catch (IOException) { }
    }

    public async Task<int> WaitAsync(CancellationToken ct)
    {
        try
        {
            await _process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }
        return _process.ExitCode;
    }

    public async Task<(string Text, bool Truncated)> StderrAsync() => await _stderr.ConfigureAwait(false);

    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
        catch (Win32Exception) { }
    }

    int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return; // RemoteRunner disposes before an upload, then its using again
        Kill();
        // Process.Dispose leaves the pipes a caller has touched open (until the GC finalizes them): they are closed
        // here, or a fleet under a small limit runs out of descriptors while none of its children runs.
        CloseQuietly(_process.StandardInput.BaseStream);
        CloseQuietly(_process.StandardOutput.BaseStream);
        CloseQuietly(_process.StandardError.BaseStream);
        _process.Dispose();
        _slot.Dispose();
    }

    static void CloseQuietly(Stream stream)
    {
        try { stream.Dispose(); }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
    }

    async Task<(string, bool)> Capture(Stream stream, int max)
    {
        var kept = new MemoryStream();
        var buffer = new byte[8192];
        bool truncated = false;
        int n;
        try
        {
            while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                var room = max - (int)kept.Length;
                if (room > 0) kept.Write(buffer, 0, Math.Min(room, n));
                if (n > room) truncated = true;
                if (!_markerValue.Task.IsCompleted) TakeMarker(kept);
            }
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        _markerValue.TrySetResult(null);
        return (Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length), truncated);
    }

    void TakeMarker(MemoryStream kept)
    {
        var bytes = kept.GetBuffer().AsSpan(0, (int)kept.Length);
        var nl = bytes.IndexOf((byte)'\n');
        if (nl < 0) return;
        var line = Encoding.UTF8.GetString(bytes[..nl]);
        if (!line.StartsWith(_marker!, StringComparison.Ordinal))
        {
            _markerValue.TrySetResult(null);
            return;
        }
        var rest = bytes[(nl + 1)..].ToArray();
        kept.SetLength(0);
        kept.Write(rest);
        _markerValue.TrySetResult(line[_marker!.Length..].Trim());
    }
}
