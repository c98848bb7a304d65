using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Meta;
using Resh.Core.Model;
using Resh.Core.Registry;

namespace Resh.Core.Tests.Pipeline;

public sealed record PtItem(string Name, long SizeBytes, string Size, double AgeSeconds, string Age, bool Enabled, string? Note);

public sealed record PtList(int Count, IReadOnlyList<PtItem> Items);

public sealed record PtOne(string Name);

public sealed record PtEcho(string Target, string? Name, bool Force, bool DryRun);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(PtList))]
[JsonSerializable(typeof(PtOne))]
[JsonSerializable(typeof(PtEcho))]
internal sealed partial class PtJson : JsonSerializerContext;

/// <summary>
/// `pt://`: `.list` answers a fixed list of items (the fields a pipeline filters on: names, sizes as numbers and as
/// text, durations as numbers and as text, bools, nulls); `TARGET.touch` records every call (target, arguments,
/// dry-run) and fails for the target `bad`, so pipeline tests see exactly what ran.
/// </summary>
public static class PipeTestHandle
{
    public static readonly Arg<string?> Name = Arg.String("name", "a name");
    public static readonly Arg<bool> Force = Arg.Bool("force", "a bool");
    public static readonly Arg<string?> Needed = Arg.String("needed", "required", required: true);
    public static readonly Arg<TimeSpan?> Delay = Arg.Duration("delay", "sleep first");

    /// <summary>Every call of touch, in the order they ran; and how often list ran.</summary>
    public static readonly ConcurrentQueue<PtEcho> Touched = new();
    public static int ListCalls;

    public static List<PtItem> Items { get; set; } = Default();

    public static List<PtItem> Default() =>
    [
        new("alpha", 512, "512B", 30, "30s", true, null),
        new("beta", 2 * 1024 * 1024, "2MiB", 600, "10m", false, "x"),
        new("gamma", 20L * 1024 * 1024, "20MiB", 7200, "2h", true, "y"),
        new("delta", 1_500_000_000, "1.5GB", 5, "5s", false, null),
        new("bad", 1, "1B", 1, "1s", true, null),
    ];

    public static int FlakyFailed;

    public static void Reset()
    {
        Touched.Clear();
        ListCalls = 0;
        FlakyFailed = 0;
        Items = Default();
    }

    static Outcome<PtList> List(VerbContext ctx)
    {
        Interlocked.Increment(ref ListCalls);
        return new PtList(Items.Count, Items);
    }

    static async ValueTask<Outcome<PtEcho>> Touch(VerbContext ctx)
    {
        if (ctx.Get(Delay) is { } d) await Task.Delay(d, ctx.Cancellation);
        var echo = new PtEcho(ctx.Target, ctx.Get(Name), ctx.Get(Force), ctx.DryRun);
        Touched.Enqueue(echo);
        if (ctx.Target == "bad") return ReshError.Failed("bad target.", null);
        // `flaky` fails once per Reset, transiently and before anything was sent (so --retry may run it again).
        if (ctx.Target == "flaky" && Interlocked.Exchange(ref FlakyFailed, 1) == 0)
            return ReshError.Unavailable("flaky target, first try.") with { NotSent = true };
        return Outcome.Changed(echo);
    }

    public static HandleInfo Handle() => new("pt", "pipeline test handle", "anything",
    [
        VerbInfo.Define("list", Effect.Read, "list", [], PtJson.Default.PtList, List),
        VerbInfo.Define("one", Effect.Read, "one", [], PtJson.Default.PtOne, _ => new PtOne("x")),
        VerbInfo.Define("touch", Effect.Mutate, "touch", [Name, Force, Delay], PtJson.Default.PtEcho, Touch),
        VerbInfo.Define("need", Effect.Mutate, "need", [Needed], PtJson.Default.PtEcho, Touch),
    ]);

    public static HandleRegistry Registry()
    {
        var r = new HandleRegistry();
        r.Add(Handle());
        r.Add(MetaHandle.Create(r, new BuildInfo("0.0.0-test", "test")));
        return r;
    }
}
