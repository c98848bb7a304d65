using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqDelete
{
    public static readonly VerbInfo Verb = VerbInfo.Define("delete", Effect.Mutate,
        "Remove a queue and its files; one that still holds messages needs force=true.",
        [MqArgs.Force, MqArgs.Backend], () => MqJson.Default.MqDeleteResult, Run,
        examples:
        [
            new("mq:///jobs.delete", "Removed when empty; `conflict` naming how many messages it holds otherwise."),
            new("mq:///jobs.delete force=true", "Removed with whatever it holds."),
        ],
        notes: "Its dead-letter queue (NAME.dlq) is a queue of its own and stays. A queue that does not exist answers ok with deleted:false.",
        targetHelp: "The queue: mq:///jobs");

    static Outcome<MqDeleteResult> Run(VerbContext ctx)
    {
        var name = MqArgs.Queue(ctx);
        if (!MqQueue.Exists(ctx.Runtime.Paths, name)) return Outcome.Unchanged(new MqDeleteResult(name, false, 0));
        using var q = MqQueue.Open(ctx.Runtime.Paths, name, create: false, ctx.Cancellation);
        MqArgs.Forward(ctx, q);
        var now = MqQueue.NowMs;
        var held = q.Depth(now) + q.InFlight(now);
        if (held > 0 && !ctx.Get(MqArgs.Force))
            return ReshError.Conflict($"The queue {name} still holds {held} message{(held == 1 ? "" : "s")}.",
                $"Consume them first, or delete anyway with force=true (they are lost): resh mq:///{name}.delete force=true",
                new JsonObject { ["queue"] = name, ["messages"] = held });
        if (!ctx.DryRun)
        {
            // The lock file goes last: a waiting process that gets it finds the directory gone.
            foreach (var file in Directory.EnumerateFiles(q.Dir).Where(f => Path.GetFileName(f) != "lock").ToArray()) File.Delete(file);
            File.Delete(Path.Combine(q.Dir, "lock"));
            Directory.Delete(q.Dir);
        }
        return Outcome.Changed(new MqDeleteResult(name, true, held));
    }
}
