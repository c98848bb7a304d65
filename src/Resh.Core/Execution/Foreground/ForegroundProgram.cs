using System.ComponentModel;
using System.Diagnostics;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Core.Execution.Foreground;

/// <summary>
/// What a program run in the foreground did: its status, the (masked) last part of each stream, and whether a process it
/// left in the background still held its output when it ended (that output is not waited for).
/// </summary>
public sealed record ForegroundResult(int ExitCode, OutputTail Stdout, OutputTail Stderr, bool OutputHeldOpen);

/// <summary>
/// Runs a program the way <c>op run</c> and <c>flock(1)</c> do (secret.exec, lock.run): it inherits resh's standard
/// input (when resh has one to give), its stdout and stderr are read as they come, masked (<see cref="StreamMasker"/>)
/// and handed on at once, and the last part of each is kept for the envelope. Unlike <see cref="ProcessRunner"/> the
/// locale is the caller's (no LC_ALL=C) and nothing is held whole. The keystore's unlocking variables are never passed on.
/// </summary>
public static class ForegroundProgram
{
    /// <summary>How long, after the program ended, output still coming from a process it left in the background is read.</summary>
    public static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(2);

    /// <summary>How long a program has, after SIGTERM when the call is ended, before it is killed.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    public static async Task<ForegroundResult> RunAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment,
        bool inheritStdin, IReadOnlyList<string> secrets, OutputSink? onStdout, OutputSink? onStderr, int tailBytes, CancellationToken ct,
        Func<int, Task>? started = null)
    {
        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = !inheritStdin,
        };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment.Remove("RESH_SECRET_PASSPHRASE"); // the keystore's unlocking material stays resh's
        psi.Environment.Remove("RESH_SECRET_KEY_FILE");
        foreach (var (k, v) in environment) psi.Environment[k] = v;

        using var process = new Process { StartInfo = psi };
        try { process.Start(); }
        catch (Win32Exception ex)
        {
            throw ReshError.Unavailable($"Cannot run {argv[0]}: {ExceptionTranslation.OneLine(ex.Message)}.", "Check the program's path and mode.").ToException();
        }
        if (!inheritStdin) try { process.StandardInput.Close(); } catch (IOException) { }

        if (started is not null) await started(process.Id).ConfigureAwait(false);
        var stdout = new OutputTail(tailBytes);
        var stderr = new OutputTail(tailBytes);
        var ended = new System.Runtime.CompilerServices.StrongBox<bool>(false);
        var outPump = Task.Run(() => Pump(process.StandardOutput.BaseStream, new StreamMasker(secrets), stdout, onStdout, ended), CancellationToken.None);
        var errPump = Task.Run(() => Pump(process.StandardError.BaseStream, new StreamMasker(secrets), stderr, onStderr, ended), CancellationToken.None);
        bool heldOpen;
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            // A process the program left in the background may keep its output open for ever: the call ends with the
            // program, after a short wait for the rest of its output.
            var drained = Task.WhenAll(outPump, errPump);
            heldOpen = await Task.WhenAny(drained, Task.Delay(OutputGrace, ct)).ConfigureAwait(false) != drained;
            lock (ended)
            {
                // What still comes is dropped: the answer is being written. A line-based sink still has the last line
                // the program wrote without a line end (s33 attacker #9): it goes out now.
                if (heldOpen)
                {
                    onStdout?.Invoke(default);
                    onStderr?.Invoke(default);
                }
                ended.Value = true;
            }
            ct.ThrowIfCancellationRequested();
        }
        catch (OperationCanceledException)
        {
            // Ended (SIGTERM, Ctrl-C, --timeout): the program gets SIGTERM and StopGrace to finish as its handlers say (a
            // backup closing its repository), then the whole tree is killed (s33 user #7; `timeout -k` does the same).
            try { LibC.Kill(process.Id, 15); } catch (Exception e) when (e is InvalidOperationException or EntryPointNotFoundException) { }
            using var grace = new CancellationTokenSource(StopGrace);
            try { await process.WaitForExitAsync(grace.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            throw;
        }
        ProcessRunner.Trace?.Invoke($"ran [{string.Join(' ', argv)}] in the foreground -> exit {process.ExitCode}");
        return new ForegroundResult(process.ExitCode, stdout, stderr, heldOpen);
    }

    /// <summary>
    /// Copies one stream through the masker. When resh's own output goes away (a reader that closed the pipe),
    /// the program's pipe is closed too, so the program gets SIGPIPE as it would writing there itself.
    /// </summary>
    static void Pump(Stream from, StreamMasker masker, OutputTail tail, OutputSink? sink, System.Runtime.CompilerServices.StrongBox<bool> ended)
    {
        var buffer = new byte[16 * 1024];
        bool sinkOpen = sink is not null;
        void Emit(ReadOnlySpan<byte> masked)
        {
            lock (ended)
            {
                if (ended.Value) return;
                tail.Append(masked);
                if (!sinkOpen) return;
                try { sink!(masked); }
                catch (Exception ex) when (ex is OutputStreamException or IOException) { sinkOpen = false; }
            }
        }
        try
        {
            int n;
            while ((n = from.Read(buffer, 0, buffer.Length)) > 0)
            {
                masker.Write(buffer.AsSpan(0, n), Emit);
                if (sink is not null && !sinkOpen) { from.Dispose(); return; }
            }
            masker.Complete(Emit);
            lock (ended) if (!ended.Value) sink?.Invoke(default); // end of stream: a line-based sink prints its last partial line
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OutputStreamException) { }
    }
}

/// <summary>Receives masked bytes as they come; an empty span marks the end of the stream.</summary>
public delegate void OutputSink(ReadOnlySpan<byte> masked);

/// <summary>The last <c>max</c> bytes of a stream (already masked) and how many bytes it had in all.</summary>
public sealed class OutputTail(int max)
{
    readonly object _gate = new();
    byte[] _buffer = new byte[Math.Min(Math.Max(max, 0), 64 * 1024) * 2 + 16];
    int _count;

    public long Total { get; private set; }
    public bool Truncated => Total > _count;

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            Total += data.Length;
            if (max <= 0) return;
            if (data.Length >= max)
            {
                if (_buffer.Length < max) _buffer = new byte[max];
                data[^max..].CopyTo(_buffer);
                _count = max;
                return;
            }
            if (_count + data.Length > _buffer.Length)
            {
                // Keep only what the tail can still need, then grow up to twice the tail's size.
                int keep = Math.Min(_count, max - data.Length);
                _buffer.AsSpan(_count - keep, keep).CopyTo(_buffer);
                _count = keep;
                if (_count + data.Length > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_count + data.Length, Math.Min(2 * max, int.MaxValue / 2)));
            }
            data.CopyTo(_buffer.AsSpan(_count));
            _count += data.Length;
        }
    }

    /// <summary>The kept bytes as text (a character cut at the start is dropped; invalid UTF-8 becomes U+FFFD).</summary>
    public string Text()
    {
        lock (_gate)
        {
            int from = Math.Max(0, _count - max);
            var span = _buffer.AsSpan(from, _count - from);
            if (Truncated) while (span.Length > 0 && (span[0] & 0xC0) == 0x80) span = span[1..];
            return System.Text.Encoding.UTF8.GetString(span);
        }
    }
}
