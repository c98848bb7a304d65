using System.Diagnostics;
using System.Runtime.InteropServices;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Core.Platform;

namespace Resh.Core.Cli;

/// <summary>
/// The set-up one call and one pipeline share (s41): colour, the output writer, the runtime, the audit trail and event
/// recording, the refusal when stdout is closed, and the <see cref="CallScope"/> (Ctrl-C, SIGTERM, --timeout, a stdout
/// reader that went away, the watchdog after the grace period). One place, so the two paths cannot drift apart again.
/// </summary>
public sealed partial class ReshApp
{
    static bool ColorFor(GlobalOptions g, AppIO io) =>
        !g.NoColor && string.IsNullOrEmpty(io.Env("NO_COLOR")) && io.StdoutIsTerminal && io.Env("TERM") != "dumb";

    static OutputWriter OutputFor(AppIO io, GlobalOptions g, OutputFormat format, bool color) => new(io.Stdout, io.Stderr, format, g.Quiet, new Ansi(color))
    {
        OnStdoutFailure = ex => ExitAfterOutputFailure(ex, io.Stderr),
        // Only a table needs the terminal's width: one ioctl, never on the JSON path. COLUMNS sets it when piped.
        TableWidth = format == OutputFormat.Table ? TerminalWidthFor(io) : null,
        Columns = g.Columns,
        OnAnswer = io.OnAnswer, // the shell's $_ and $name = STAGE (or PIPELINE)
    };

    ReshRuntime RuntimeFor(ReshPaths paths, GlobalOptions g, AppIO io, bool color, ConfigFile configFile, StdinSource stdin) =>
        new(paths, g.ConfigPath, g.Verbose, g.Quiet, io.Stderr, io.StderrIsTerminal, color, configFile)
        {
            Forks = g.Forks,
            Handles = registry,
            Stdin = stdin,
        };

    /// <summary>The audit trail ([audit]) and event recording ([events] record) from the config; a config that does not parse is its error.</summary>
    static ReshError? StartRecording(ReshRuntime runtime, ConfigFile configFile, ReshPaths paths, string surface)
    {
        try
        {
            if (configFile.AuditEnabled) runtime.Audit = new Audit.AuditTrail(paths, surface, Audit.AuditTrail.LocalIdentity());
            runtime.RecordChanges = configFile.EventsRecord;
            return null;
        }
        catch (ReshException ex) { return ex.Error; }
    }

    /// <summary>The answer would be lost: refuse before doing anything (a mutating verb must not run unreported). Null: go on.</summary>
    static int? RefuseClosedStdout(AppIO io, GlobalOptions g)
    {
        if (!io.StdoutClosed || g.Quiet) return null;
        io.Stderr.WriteLine("resh: error[failed]: standard output is closed, so the answer could not be written; nothing was run (redirect it to /dev/null to discard it, or pass --quiet).");
        return ErrorCode.Failed.ExitStatus();
    }

    /// <summary>
    /// The cancellation of one call or pipeline: Ctrl-C and SIGTERM (a second Ctrl-C stops at once), the shell's Ctrl-C,
    /// --timeout, and a stdout reader that went away (stopped as on SIGTERM). When the work does not answer within
    /// <see cref="CancelGrace"/> after being asked to stop, the watchdog answers for it and exits; <see cref="TryFinish"/>
    /// makes sure exactly one of the two prints.
    /// </summary>
    sealed class CallScope : IDisposable
    {
        public readonly CancellationTokenSource Interrupt = new();
        public readonly CancellationTokenSource Terminate = new(); // SIGTERM: also cancels Interrupt; a long-lived server ends normally on it
        public readonly CancellationTokenSource Timeout = new();
        public readonly CancellationTokenSource Linked;
        readonly AppIO _io;
        readonly ReshRuntime _runtime;
        readonly OutputWriter _output;
        readonly Func<ReshError, Envelope> _answer;
        readonly Action<Envelope>? _record;
        readonly FinishGate _gate = new();
        readonly CancellationTokenRegistration _shellInterrupt;
        PosixSignalRegistration? _sigint, _sigterm;
        int _ended; // set once the call is over: the stdout watcher's thread outlives it

        /// <param name="answer">The envelope for an error that ends the call from outside (interrupted, timeout).</param>
        /// <param name="record">Records the watchdog's answer (a single call's audit record); null for none.</param>
        public CallScope(AppIO io, ReshRuntime runtime, OutputWriter output, TimeSpan? timeout, Func<ReshError, Envelope> answer, Action<Envelope>? record)
        {
            _io = io;
            _runtime = runtime;
            _output = output;
            _answer = answer;
            _record = record;
            Linked = CancellationTokenSource.CreateLinkedTokenSource(Interrupt.Token, Timeout.Token);
            _shellInterrupt = io.Interrupt.Register(() => Interrupt.Cancel()); // the shell's Ctrl-C: this call only, not the shell
            if (io.HandleSignals)
            {
                _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
                _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
                // The reader of stdout is gone (a remote stage whose caller's ssh died, `resh ... | head` after head
                // exited): nobody will read the answer, so the work is stopped as on SIGTERM, with its rollback.
                if (!io.StdoutIsTerminal && !io.StdoutClosed) StdoutHangup.Watch(OnHangup);
            }
            if (timeout is { } t)
            {
                Timeout.Token.Register(Watchdog);
                Timeout.CancelAfter(t);
            }
        }

        void OnSignal(PosixSignalContext c)
        {
            c.Cancel = true;
            if (Interrupt.IsCancellationRequested)
            {
                // A second Ctrl-C: stop now.
                if (_gate.TryForce())
                {
                    var env = _answer(ReshError.Interrupted("Interrupted twice; stopped at once.", "Check the target for partial work."));
                    Cleanup.RunAll();
                    _output.WriteEnvelope(env);
                    Environment.Exit(130);
                }
                return;
            }
            if (c.Signal == PosixSignal.SIGTERM) Terminate.Cancel();
            Interrupt.Cancel();
            Watchdog();
        }

        void OnHangup()
        {
            // A signal came first and is being handled, or the call is over: the reader left after the answer
            // (`| head -c 10` while agent:// tears its connection down), and the token sources may be gone.
            if (Volatile.Read(ref _ended) != 0 || Interrupt.IsCancellationRequested) return;
            try
            {
                _runtime.Log("stdout: its reader is gone; stopping");
                Terminate.Cancel();
                Interrupt.Cancel();
                Watchdog();
            }
            catch (ObjectDisposedException) { } // the call ended between the check and the cancel (s39 user D8: exit 134)
        }

        /// <summary>The work was asked to stop; if it does not answer within the grace period, answer for it and exit.</summary>
        void Watchdog()
        {
            if (_io.Interrupt.CanBeCanceled) return; // the interactive shell outlives a call: the work answers for itself
            _ = Task.Run(async () =>
            {
                await Task.Delay(CancelGrace).ConfigureAwait(false);
                await Cleanup.WaitForHoldsAsync().ConfigureAwait(false); // undo work at a server (a dns-01 record) finishes first, bounded
                if (!_gate.TryForce()) return;
                var env = _answer(Executor.CancelError(Timeout.Token, Interrupt.Token, _runtime));
                _record?.Invoke(env);
                Cleanup.RunAll(); // the work is still running: its temporary files go before the envelope says "rolled back"
                var status = _output.WriteEnvelope(env);
                Cleanup.RunAll();
                Environment.Exit(status);
            });
        }

        /// <summary>The work answered: true when it may print; false when the watchdog is already printing and exiting.</summary>
        public bool TryFinish() => _gate.TryFinish();

        /// <summary>The call is over: signals go back to their default, the stdout watcher stands down.</summary>
        public void End()
        {
            Volatile.Write(ref _ended, 1);
            _sigint?.Dispose();
            _sigterm?.Dispose();
            _sigint = _sigterm = null;
        }

        public void Dispose()
        {
            End();
            _shellInterrupt.Dispose();
            Linked.Dispose();
            Interrupt.Dispose();
            Terminate.Dispose();
            Timeout.Dispose();
        }
    }
}
