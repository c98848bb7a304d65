using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Backup;

/// <summary>Listing snapshots and naming one: restic ids and `latest`, borg archive names and `latest`.</summary>
internal static class BackupSnapshots
{
    public static async Task<List<BackupSnapshot>> ListAsync(BackupSession s)
    {
        if (!s.IsBorg)
        {
            var r = await s.RunAsync(["snapshots", "--json"]).ConfigureAwait(false);
            return (ResticOutput.Parse(r.Stdout) as JsonArray ?? []).OfType<JsonObject>().Select(ResticOutput.Snapshot).ToList();
        }
        var b = await s.RunAsync(["list", "--json", "--log-json", "--format={comment}{hostname}{username}", s.Repo]).ConfigureAwait(false);
        var archives = (ResticOutput.Parse(b.Stdout) as JsonObject)?["archives"] as JsonArray ?? [];
        return archives.OfType<JsonObject>().Select(a => new BackupSnapshot(ResticOutput.Str(a, "name") ?? "", ResticOutput.Str(a, "id") ?? "",
            BorgOutput.Time(ResticOutput.Str(a, "start") ?? ResticOutput.Str(a, "time")), ResticOutput.Str(a, "hostname"), ResticOutput.Str(a, "username"),
            [], BorgOutput.Tags(ResticOutput.Str(a, "comment")), ResticOutput.Str(a, "name"))).ToList();
    }

    /// <summary>
    /// The snapshot an argument names, as the tool takes it: restic gets the id (or `latest`) checked by restic itself;
    /// borg gets the archive name, `latest` being the newest archive.
    /// </summary>
    /// <param name="latestForRestic">Resolve `latest` for restic too (its diff takes ids only).</param>
    public static async Task<string> ResolveAsync(BackupSession s, string name, bool latestForRestic = false)
    {
        if (name.Length == 0 || name.StartsWith('-') || name.Any(char.IsControl) || name.Contains("::", StringComparison.Ordinal) || name.Contains('/'))
            throw ReshError.Usage($"`{name}` is not a snapshot id.", $"Name one from resh backup://{s.Target.Display}.list, or `latest`.").ToException();
        if (name != "latest" || !s.IsBorg && !latestForRestic) return name;
        var list = await ListAsync(s).ConfigureAwait(false);
        return list.Count == 0
            ? throw ReshError.NotFound($"The repository {s.Target.Display} has no snapshots yet.", $"Create one: resh 'backup://{s.Target.Display}.create(paths=...)'").ToException()
            : list[^1].Id;
    }
}
