using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Snapshot;

public static class SnapshotList
{
    static readonly Arg<IReadOnlyList<string>> Tags = Arg.List("tags", "Only snapshots carrying all these tags.");

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "List a tree's snapshots, oldest first.",
        [Tags, SnapshotArgs.Repo], () => SnapshotJson.Default.SnapshotListResult, Run,
        examples: [new("snapshot:///tmp/src.list", "Every snapshot of /tmp/src.")],
        notes: "A tree without snapshots gives an empty list, not an error.");

    static Outcome<SnapshotListResult> Run(VerbContext ctx)
    {
        var tree = SnapshotArgs.Tree(ctx, mustExist: false);
        var repo = SnapshotRepo.For(ctx, ctx.Get(SnapshotArgs.Repo), create: false);
        var tags = ctx.Get(Tags);
        var list = repo.List(tree).Where(m => tags.All(t => m.Tags.Contains(t))).Select(SnapshotSummary.Of).ToList();
        return new SnapshotListResult(Resh.Core.Text.PathBytes.Display(tree), repo.Root, list);
    }
}
