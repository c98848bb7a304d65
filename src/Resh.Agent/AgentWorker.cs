using System.Runtime.InteropServices;
using System.Threading.Channels;
using Resh.AgentFront;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Agent;

/// <summary>
/// `resh agent` behind the front (docs/agent.md "The front"): started by the front with <see cref="Variable"/>=1 and
/// the same --config, it reads <see cref="AgentFrame"/>s on standard input (the messages the front took from NATS)
/// and writes the answers on standard output, through the same <see cref="AgentDispatch"/> and <see cref="AgentServer"/>
/// as the agent in one process. The front's init frame gives the agent's start time and the call ids earlier workers
/// verified (the replay cache outlives each worker); every id this one verifies goes back to the front. It drains
/// and exits when the front says stop or closes the pipe; the stop signals are the front's to act on.
/// </summary>
public static class AgentWorker
{
    public const string Variable = "RESH_AGENT_WORKER";

    /// <summary>
    /// The frame pipe moves to descriptors closed at exec, and standard input becomes /dev/null and standard output the
    /// log (stderr): a stray write to standard output, or a program a call runs, can then neither forge nor swallow a
    /// frame.
    /// </summary>
    static (Stream Input, Stream Output)? TakeFramePipe()
    {
        var input = LibC.DupCloseOnExec(0);
        var output = LibC.DupCloseOnExec(1);
        if (input < 0 || output < 0) return null;
        LibC.Close(0);
        LibC.ReserveWithDevNull(0);
        if (!LibC.DupTo(2, 1)) return null;
        return (new FdStream(input, write: false), new FdStream(output, write: true));
    }

    public static async Task<int> RunAsync(SurfaceStart start, Action<string> log)
    {
        var pipe = TakeFramePipe();
        if (pipe is null)
        {
            log("the worker cannot move its frame pipe off standard input and output");
            return 70;
        }
        var (input, output) = pipe.Value;
        if (AgentFrame.Read(input) is not { Kind: AgentFrame.Init } init)
        {
            log("the worker got no init frame on its standard input (it is started by the agent's front, not by hand)");
            return 70;
        }
        var (started, maxAnswer, host, seen) = AgentFrame.ParseInit(init.Data);
        AgentSettings settings;
        string? broken = null;
        try
        {
            if (start.Runtime.Config.Path is { } configPath) Resh.Core.Config.OwnedStateDir.CheckTrustedFile(configPath, "agent config file");
            settings = AgentSettings.Read(start.Runtime.Config).WithHost(host);
        }
        catch (ReshException ex)
        {
            broken = ex.Error.Message;
            settings = AgentSettings.Nothing(host);
        }
        var server = new AgentServer(start.Registry, start.Runtime, settings, start.Invocation.Globals.DryRun, log) { MaxAnswer = maxAnswer };
        server.Resume(started, seen);
        if (broken is not null) server.RefuseAll(broken);
        server.Verified = (id, until) =>
        {
            var t = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(t, until.ToUniversalTime().Ticks);
            AgentFrame.Write(output, AgentFrame.Verified, id, "", t);
        };
        var dispatch = new AgentDispatch(server, settings.MaxCalls, log, (reply, answer) =>
        {
            try { AgentFrame.Write(output, AgentFrame.Answer, reply ?? "", "", answer ?? []); }
            catch (IOException e) { log($"could not hand an answer to the front: {e.Message}"); }
            return ValueTask.CompletedTask;
        });
        using var stop = new CancellationTokenSource();
        // The front decides when to stop (it forwards the signals it gets); a signal sent to the whole group is left to it.
        using var sigint = start.IO.HandleSignals ? PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true) : null;
        using var sigterm = start.IO.HandleSignals ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => c.Cancel = true) : null;
        using var sighup = start.IO.HandleSignals ? PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; server.Reload(); }) : null;
        using var sweep = new Timer(_ => server.FlushRefusals(false), null, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60));
        var calls = Channel.CreateBounded<(byte[] Data, string? Reply)>(new BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true });
        void Stop()
        {
            if (stop.IsCancellationRequested) { dispatch.Interrupt(); return; }
            stop.Cancel();
            dispatch.InterruptAfter(AgentCommand.DrainTimeout);
        }
        var reader = Task.Factory.StartNew(() =>
        {
            while (AgentFrame.Read(input) is { } frame)
            {
                switch (frame.Kind)
                {
                    case AgentFrame.Discover: dispatch.DiscoverAsync(frame.Data, frame.Reply.Length > 0 ? frame.Reply : null).AsTask().GetAwaiter().GetResult(); break;
                    case AgentFrame.Call:
                        if (!stop.IsCancellationRequested)
                            try { calls.Writer.WriteAsync((frame.Data, frame.Reply.Length > 0 ? frame.Reply : null), stop.Token).AsTask().GetAwaiter().GetResult(); }
                            catch (OperationCanceledException) { }
                        break;
                    case AgentFrame.Cancel: dispatch.Cancel(frame.Data); break;
                    // A worker started on a config that does not read cannot re-read it in place (the runtime keeps the
                    // failed read): it leaves, and the next message starts one that reads the file again.
                    case AgentFrame.Reload: if (broken is null) server.Reload(); else Stop(); break;
                    case AgentFrame.Stop: Stop(); break;
                }
            }
            if (!stop.IsCancellationRequested) Stop(); // the front closed the pipe (it retired this worker, or it is gone)
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try { await dispatch.RunCallsAsync(calls.Reader.ReadAllAsync(stop.Token), stop.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        await dispatch.DrainAsync(AgentCommand.DrainTimeout + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        server.FlushRefusals(true);
        output.Flush();
        _ = reader; // it ends with the pipe; the process exits without waiting for it
        return 0;
    }
}
