using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Snapshot;

public static class SnapshotVerify
{
    static readonly Arg<bool> All = Arg.Bool("all", "Check every snapshot in the repository, not only this tree's.");

    public static readonly VerbInfo Verb = VerbInfo.Define("verify", Effect.Read,
        "Re-hash every stored object the snapshots reference; report missing or corrupt ones.",
        [All, SnapshotArgs.Repo], () => SnapshotJson.Default.SnapshotVerifyResult, RunAsync,
        examples: [new("snapshot:///tmp/src.verify", "Check the store behind /tmp/src's snapshots.")],
        notes: "Damage is a `failed` error whose details list each bad object and the snapshots that use it.");

    static async ValueTask<Outcome<SnapshotVerifyResult>> RunAsync(VerbContext ctx)
    {
        var repo = SnapshotRepo.For(ctx, ctx.Get(SnapshotArgs.Repo), create: false);
        var manifests = ctx.Get(All) ? repo.All().ToList() : repo.List(SnapshotArgs.Tree(ctx, mustExist: false));
        var users = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var badSubvolumes = new List<string>();
        foreach (var m in manifests)
        {
            if (m.Backend == "btrfs")
            {
                if (m.Subvolume is null || !Directory.Exists(m.Subvolume) || !await BtrfsSnapshots.IsReadOnlyAsync(m.Subvolume, ctx.Cancellation).ConfigureAwait(false))
                    badSubvolumes.Add(m.Name);
                continue;
            }
            foreach (var e in m.Entries)
            {
                if (e.Sha256 is not { } sha) continue;
                if (!users.TryGetValue(sha, out var list)) users[sha] = list = [];
                if (!list.Contains(m.Name)) list.Add(m.Name);
            }
        }
        var damaged = new List<SnapshotDamage>();
        long bytes = 0;
        using var progress = ctx.Progress("verify", users.Count);
        foreach (var (sha, usedBy) in users.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            var path = repo.ObjectPath(sha);
            if (!System.IO.File.Exists(path)) { damaged.Add(new(sha, "missing", usedBy)); continue; }
            bytes += new FileInfo(path).Length;
            if (SnapshotRepo.HashFile(path, ctx.Cancellation) != sha) damaged.Add(new(sha, "corrupt", usedBy));
            progress.Add(1);
        }
        var result = new SnapshotVerifyResult(repo.Root, manifests.Count, users.Count, bytes, damaged, badSubvolumes, damaged.Count == 0 && badSubvolumes.Count == 0);
        if (result.Intact) return result;
        return ReshError.Failed($"{damaged.Count} stored object(s) and {badSubvolumes.Count} btrfs snapshot(s) are damaged.",
            "Snapshots using them cannot be restored completely; take a new snapshot and delete the damaged ones.",
            new System.Text.Json.Nodes.JsonObject
            {
                ["damaged"] = new System.Text.Json.Nodes.JsonArray(damaged.Take(100).Select(d => (System.Text.Json.Nodes.JsonNode?)new System.Text.Json.Nodes.JsonObject
                {
                    ["object"] = d.Object, ["problem"] = d.Problem,
                    ["used_by"] = new System.Text.Json.Nodes.JsonArray(d.UsedBy.Select(u => (System.Text.Json.Nodes.JsonNode?)u).ToArray()),
                }).ToArray()),
                ["bad_subvolumes"] = new System.Text.Json.Nodes.JsonArray(badSubvolumes.Select(b => (System.Text.Json.Nodes.JsonNode?)b).ToArray()),
            });
    }
}
