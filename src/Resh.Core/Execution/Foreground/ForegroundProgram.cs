using System.ComponentModel;
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
        var changes = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["RESH_SECRET_PASSPHRASE"] = null, // the keystore's unlocking material stays resh's
            ["RESH_SECRET_KEY_FILE"] = null,
        };
        foreach (var (k, v) in environment) changes[k] = v;

        SpawnedChild child;
        try
        {
            // posix_spawn (SpawnedChild): stdin is resh's when it has one to give, else an empty pipe.
            child = SpawnedChild.Start(argv, changes, null, inheritStdin ? SpawnStdin.Inherit : SpawnStdin.Pipe);
        }
        catch (Win32Exception ex)
        {
            throw ReshError.Unavailable($"Cannot run {argv[0]}: {ExceptionTranslation.OneLine(ex.Message)}.", "Check the program's path and mode.").ToException();
        }
        using var owned = child;
        if (started is not null) await started(child.Pid).ConfigureAwait(false);
        var stdout = new OutputTail(tailBytes);
        var stderr = new OutputTail(tailBytes);
        var outSink = Sink(new StreamMasker(secrets), stdout, onStdout);
        var errSink = Sink(new StreamMasker(secrets), stderr, onStderr);
        // One thread of its own reads both pipes (poll) and reaps the program; the call's thread waits for it.
        var heldOpen = await Task.Factory.StartNew(() =>
        {
            // A process the program left in the background may keep its output open for ever: the call ends with the
            // program, after a short wait (OutputGrace) for the rest of its output.
            var end = child.Pump([], outSink, errSink, OutputGrace, ct);
            if (end == PumpEnd.Cancelled)
            {
                // Ended (SIGTERM, Ctrl-C, --timeout): the program gets SIGTERM and StopGrace to finish as its handlers say (a
                // backup closing its repository), its output still passed on, then the whole tree is killed (s33 user #7;
                // `timeout -k` does the same).
                child.Signal(LibC.SIGTERM);
                var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(StopGrace.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
                if (child.Pump([], outSink, errSink, OutputGrace, CancellationToken.None, deadline) == PumpEnd.Deadline && !child.HasExited) child.KillTree();
                child.WaitForExit();
                throw new OperationCanceledException(ct);
            }
            // What still comes is dropped: the answer is being written. A line-based sink still has the last line
            // the program wrote without a line end (s33 attacker #9): it goes out now.
            if (end == PumpEnd.HeldOpen)
            {
                onStdout?.Invoke(default);
                onStderr?.Invoke(default);
            }
            return end == PumpEnd.HeldOpen;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        ProcessRunner.Trace?.Invoke($"ran [{string.Join(' ', argv)}] in the foreground -> exit {child.ExitCode}");
        return new ForegroundResult(child.ExitCode, stdout, stderr, heldOpen);
    }

    /// <summary>
    /// One stream through the masker into the tail and the sink. When resh's own output goes away (a reader that closed
    /// the pipe), the program's pipe is closed too, so the program gets SIGPIPE as it would writing there itself.
    /// </summary>
    static ChunkSink Sink(StreamMasker masker, OutputTail tail, OutputSink? sink)
    {
        bool sinkOpen = sink is not null;
        void Emit(ReadOnlySpan<byte> masked)
        {
            tail.Append(masked);
            if (!sinkOpen) return;
            try { sink!(masked); }
            catch (Exception ex) when (ex is OutputStreamException or IOException) { sinkOpen = false; }
        }
        return chunk =>
        {
            if (chunk.IsEmpty)
            {
                masker.Complete(Emit);
                if (sinkOpen) sink!(default); // end of stream: a line-based sink prints its last partial line
                return true;
            }
            masker.Write(chunk, Emit);
            return sink is null || sinkOpen;
        };
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
