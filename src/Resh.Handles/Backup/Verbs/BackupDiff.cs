using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Backup;

public static class BackupDiff
{
    static readonly Arg<string?> From = Arg.String("from", "The older snapshot.", required: true, examples: ["4f3a9c1e"]);
    static readonly Arg<string?> To = Arg.String("to", "The newer snapshot.", "latest", examples: ["latest"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("diff", Effect.Read,
        "What changed between two snapshots: paths added, removed and modified.",
        [From, To, .. BackupArgs.Common], () => BackupJson.Default.BackupDiffResult, RunAsync,
        examples: [new("backup:///srv/backup/repo.diff from=4f3a9c1e to=latest password=env:RESTIC_PASSWORD", "Changes since 4f3a9c1e.")],
        notes: "Modified covers content, mode, owner and type changes; directories end in /.");

    static async ValueTask<Outcome<BackupDiffResult>> RunAsync(VerbContext ctx)
    {
        using var s = BackupSession.Open(ctx);
        var from = await BackupSnapshots.ResolveAsync(s, ctx.Get(From)!, latestForRestic: true).ConfigureAwait(false);
        var to = await BackupSnapshots.ResolveAsync(s, ctx.Get(To)!, latestForRestic: true).ConfigureAwait(false);
        List<string> added = [], removed = [], modified = [];
        if (s.IsBorg)
        {
            var r = await s.RunAsync(["diff", "--json-lines", "--log-json", s.Repo + "::" + from, to]).ConfigureAwait(false);
            foreach (var o in ResticOutput.Lines(r.Stdout))
            {
                var path = "/" + (ResticOutput.Str(o, "path") ?? "");
                var types = (o["changes"] as System.Text.Json.Nodes.JsonArray ?? []).OfType<System.Text.Json.Nodes.JsonObject>().Select(c => ResticOutput.Str(c, "type") ?? "").ToList();
                var dir = types.Any(t => t.EndsWith("directory", StringComparison.Ordinal));
                if (dir) path += "/";
                if (types.Any(t => t.StartsWith("added", StringComparison.Ordinal))) added.Add(path);
                else if (types.Any(t => t.StartsWith("removed", StringComparison.Ordinal))) removed.Add(path);
                else modified.Add(path);
            }
        }
        else
        {
            var r = await s.RunAsync(["diff", "--json", from, to]).ConfigureAwait(false);
            foreach (var o in ResticOutput.Lines(r.Stdout))
            {
                if (ResticOutput.Str(o, "message_type") != "change") continue;
                var path = ResticOutput.Str(o, "path") ?? "";
                switch (ResticOutput.Str(o, "modifier"))
                {
                    case "+": added.Add(path); break;
                    case "-": removed.Add(path); break;
                    default: modified.Add(path); break;
                }
            }
        }
        return new BackupDiffResult(s.Target.Display, s.Kind, from, to, added, removed, modified);
    }
}
