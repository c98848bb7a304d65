using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Lock;

public static class LockAcquire
{
    static readonly Arg<TimeSpan?> Ttl = Arg.Duration("ttl", "The lease ends by itself after this long (local default: only on release or when the owner process ends; Redis default: 30s).", examples: ["30s", "1h"]);
    static readonly Arg<long?> OwnerPid = Arg.Int("owner_pid",
        "The process whose life the lock is tied to (default: the job that called resh: the leader of its process group, the script; or the shell when resh runs as a job of its own).",
        min: 1, max: int.MaxValue);
    static readonly Arg<string?> Note = Arg.String("note", "What the holder is doing, shown by status and list.", examples: ["deploy 1.4.2"]);

    /// <summary>Through a server surface (REST, MCP, an agent) a lease without ttl= ends after this; a longer one is refused.</summary>
    public static readonly TimeSpan ServerDefaultTtl = TimeSpan.FromMinutes(15), ServerMaxTtl = TimeSpan.FromHours(24);

    public static readonly VerbInfo Verb = VerbInfo.Define("acquire", Effect.Mutate,
        "Take a named lock for a process (the calling script by default) until release, its ttl, or that process ends.",
        [LockArgs.Wait, Ttl, OwnerPid, Note], () => LockJson.Default.LockAcquireResult, Run,
        examples:
        [
            new("lock:///deploy.acquire wait=30s", "Held by the calling shell until release or until the shell exits; prints the token."),
            new("lock:///nightly.acquire ttl=2h note='backup to s3'", "A lease that also ends by itself after two hours."),
        ],
        notes: "Give the returned token to release. By default the lock lives as long as the job that called resh: the leader of resh's process group "
            + "(the script, also when the call is inside `$(...)`), or the interactive shell when resh runs as a job of its own; owner_pid=$$ names the calling shell exactly. "
            + "The lock is not re-entrant: a second acquire by the same owner is `conflict` like any other. "
            + "Through a server surface (resh serve, resh mcp, an agent) the caller owns no process on the server, and the default owner would be the server itself, which lives on: "
            + "there the lease always ends by itself, after ttl= (at most 24h) or 15m when ttl= is not given (with a warning). "
            + "On Redis the owner process is only recorded (a server cannot see it end): the lease ends at release or after ttl (30s by default), and the result carries the fencing number.",
        targetHelp: "The lock's name: lock:///deploy");

    static async ValueTask<Outcome<LockAcquireResult>> Run(VerbContext ctx)
    {
        var (name, backend) = await LockTarget.OpenAsync(ctx).ConfigureAwait(false);
        var pid = (int)(ctx.Get(OwnerPid) ?? DefaultOwner());
        if (LockStore.StartOf(pid) is not { } start)
            return ReshError.NotFound($"There is no process {pid} to tie the lock to.", "Give owner_pid= of a running process, or leave it out.");
        if (LockArgs.CheckTtl(ctx, Ttl, backend) is { } bad) return bad;
        var ttl = ctx.Get(Ttl) ?? backend.DefaultTtl;
        if (ctx.Runtime.ServerCall)
        {
            // The server's process (or PID 1 above it) would hold the lock for ever: a server call's lease always ends.
            if (ttl > ServerMaxTtl)
                return ReshError.Usage($"ttl= must be at most {Resh.Core.Values.DurationValue.Format(ServerMaxTtl)} for a lock taken through a server surface.",
                    "Example: ttl=1h (release it earlier with the token).");
            if (ctx.Get(Ttl) is null)
            {
                ttl = ServerDefaultTtl;
                ctx.Warn($"No ttl= was given: a lock taken through a server ends after {Resh.Core.Values.DurationValue.Format(ServerDefaultTtl)} (or at release); give ttl= to choose.");
            }
        }
        if (ctx.DryRun)
        {
            if (await backend.ReadAsync(name, ctx.Cancellation).ConfigureAwait(false) is { } held) return LockStore.Held(name, held, TimeSpan.Zero, LockArgs.Display(ctx));
            return Outcome.Changed(new LockAcquireResult(name, "", backend.Kind, null, Lease(pid, start, ttl, ctx.Get(Note)).Holder, 0));
        }
        var (lease, waited) = await LockWait.AcquireAsync(backend, name, LockArgs.Display(ctx), () => Lease(pid, start, ttl, ctx.Get(Note)), ttl,
            ctx.Get(LockArgs.Wait)!.Value, ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(new LockAcquireResult(name, lease.Token, backend.Kind, lease.Fence, lease.Holder, waited));
    }

    /// <summary>
    /// The caller that should own the lock: `TOKEN=$(resh lock:///x.acquire)` runs resh in a subshell that ends at once,
    /// so resh's parent would free the lock immediately. The process group leader is the script (or the job) that
    /// called it, which lives on; when resh leads its own group (a command typed at an interactive shell), the shell.
    /// </summary>
    static int DefaultOwner()
    {
        var group = Resh.Core.Platform.LibC.GetPgrp();
        return group > 1 && group != Environment.ProcessId && LockStore.StartOf(group) is not null ? group : Resh.Core.Platform.LibC.GetPPid();
    }

    static LockLease Lease(int pid, long start, TimeSpan? ttl, string? note) =>
        new(LockStore.NewToken(), pid, start, null, null, Environment.MachineName, DateTime.UtcNow, ttl is { } t ? DateTime.UtcNow + t : null, note);
}
