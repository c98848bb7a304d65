using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Storage;

namespace Resh.Handles.Snapshot;

public static class SnapshotDiff
{
    static readonly Arg<string?> From = Arg.String("from", "The older snapshot.", required: true, examples: ["s1"]);
    static readonly Arg<string?> To = Arg.String("to", "The newer snapshot; default: the live tree.", examples: ["s2"]);
    static readonly Arg<bool> Content = Arg.Bool("content", "Include unified diffs of changed text files (up to 256 KiB each).", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("diff", Effect.Read,
        "Compare two snapshots, or a snapshot and the live tree: added, removed, modified, with text diffs.",
        [From, To, Content, SnapshotArgs.Repo], () => SnapshotJson.Default.SnapshotDiffResult, Run,
        examples: [new("'snapshot:///tmp/src.diff(from=s1)'", "What changed in /tmp/src since s1."), new("'snapshot:///tmp/src.diff(from=s1,to=s2)'", "Between two snapshots.")],
        notes: "The live tree is compared through the snapshot's own include/exclude, so excluded paths never show up as added.");

    static Outcome<SnapshotDiffResult> Run(VerbContext ctx)
    {
        var tree = SnapshotArgs.Tree(ctx, mustExist: false);
        var repo = SnapshotRepo.For(ctx, ctx.Get(SnapshotArgs.Repo), create: false);
        var from = SnapshotArgs.Find(repo, tree, ctx.Get(From)!);
        var fromView = TreeView.Resolve(from, repo, ctx.Cancellation);
        TreeView toView;
        if (ctx.Get(To) is { } toName)
            toView = TreeView.Resolve(SnapshotArgs.Find(repo, tree, toName), repo, ctx.Cancellation);
        else
        {
            SnapshotArgs.Tree(ctx, mustExist: true);
            var live = TreeScanner.Scan(tree, new PathFilter(from.Include, from.Exclude, SnapshotRepo.UnreadablePaths(from)), from.Backend == "files" ? from : null, null, hash: true, null, ctx.Cancellation);
            toView = TreeView.Live(tree, live);
        }
        var changes = TreeDiff.Compare(fromView, toView, ctx.Get(Content));
        static string D(string p) => Resh.Core.Text.PathBytes.Display(p);
        return new SnapshotDiffResult(D(tree), from.Name, toView.Label, changes.Added.Select(D).ToList(), changes.Removed.Select(D).ToList(),
            changes.Modified.Select(c => c with { Path = D(c.Path) }).ToList(), changes.Unchanged);
    }
}
