using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Backup;

public static class BackupCreate
{
    internal static readonly Arg<IReadOnlyList<string>> Paths = Arg.List("paths", "Files and directories to back up (made absolute).", required: true,
        examples: ["/etc", "/srv/app"], path: PathUse.Read);
    internal static readonly Arg<IReadOnlyList<string>> Excludes = Arg.List("excludes", "Leave out paths matching these patterns (passed to the tool as written: restic --exclude, borg --exclude).",
        examples: ["*.log", "/srv/app/cache"], aliases: ["exclude"]);
    internal static readonly Arg<IReadOnlyList<string>> Tags = Arg.List("tags", "Labels for the snapshot (restic tags; borg keeps them in the archive comment).", examples: ["daily"], aliases: ["tag"]);
    static readonly Arg<string?> Name = Arg.String("name", "borg only: the archive name (borg placeholders allowed). Default: {hostname}-{utcnow:%Y-%m-%dT%H:%M:%S}.");

    public static readonly VerbInfo Verb = VerbInfo.Define("create", Effect.Mutate,
        "Back up paths into a new snapshot; progress on stderr when it is a terminal, the tool's summary as data.",
        [Paths, Excludes, Tags, Name, .. BackupArgs.Common], () => BackupJson.Default.BackupCreateResult, RunAsync,
        examples:
        [
            new("'backup:///tmp/repo.create(paths=/etc,password=env:RESTIC_PASSWORD)'", "Back up /etc into the restic repository /tmp/repo."),
            new("backup:///srv/backup/repo.create paths=/srv/app paths=/etc excludes='*.log' tags=nightly password=file:/etc/resh/backup.pass", "Two paths, an exclusion and a tag."),
        ],
        notes: "files_new, files_changed and files_unmodified compare with the previous snapshot of the same paths (restic) or come from borg's files cache " +
               "(borg: A = not in the cache, M = changed since cached; files modified within the last run are not cached, so borg may count a changed file as new). " +
               "A file the tool cannot read is left out with a warning (restic exit 3, borg warnings); the snapshot is still made. --dry-run runs the tool's own dry run (nothing is written).");

    static async ValueTask<Outcome<BackupCreateResult>> RunAsync(VerbContext ctx)
    {
        var paths = ctx.Get(Paths).Select(p => Path.GetFullPath(p.Length > 1 ? p.TrimEnd('/') : p)).ToList();
        foreach (var p in paths)
            if (!Path.Exists(p) && Resh.Core.Platform.Posix.Stat(p, follow: false, out _) is null)
                return ReshError.NotFound($"{p} does not exist.", "Name existing files or directories in paths=.");
        var tags = ctx.Get(Tags);
        foreach (var t in tags)
            if (t.Length == 0 || t.Contains(',') || t.Any(char.IsControl))
                return ReshError.Usage($"`{t}` is not a tag.", "Tags are non-empty words without commas.");
        using var s = BackupSession.Open(ctx);
        if (ctx.Get(Name) is not null && !s.IsBorg) return ReshError.Usage("name= applies to borg archives; restic names snapshots by id.", "Use tags= to label a restic snapshot.");
        return s.IsBorg ? await BorgAsync(ctx, s, paths, tags).ConfigureAwait(false) : await ResticAsync(ctx, s, paths, tags).ConfigureAwait(false);
    }

    static async Task<Outcome<BackupCreateResult>> ResticAsync(VerbContext ctx, BackupSession s, List<string> paths, IReadOnlyList<string> tags)
    {
        var argv = new List<string> { "backup", "--json" };
        if (ctx.DryRun) argv.Add("--dry-run");
        foreach (var t in tags) argv.Add("--tag=" + t);
        foreach (var e in ctx.Get(Excludes)) argv.Add("--exclude=" + e);
        argv.Add("--");
        argv.AddRange(paths);
        using var bar = ctx.Progress("backup", null);
        JsonObject? summary = null;
        var errors = 0L;
        var r = await s.RunAsync(argv, line =>
        {
            if (!line.StartsWith('{')) return;
            JsonObject? o;
            try { o = JsonNode.Parse(line) as JsonObject; } catch (System.Text.Json.JsonException) { return; }
            switch (o is null ? null : ResticOutput.Str(o, "message_type"))
            {
                case "status":
                    var total = ResticOutput.Long(o!, "total_bytes");
                    if (total > 0) bar.SetTotal(total);
                    bar.Report(ResticOutput.Long(o!, "bytes_done"));
                    break;
                case "summary": summary = o; break;
                case "error": errors++; break;
            }
        }, allowFailure: p => p.ExitCode == 3).ConfigureAwait(false);
        foreach (var w in r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith('{')).Take(20))
            if (r.ExitCode == 3) ctx.Warn("restic: " + Resh.Core.Secrets.SecretRedactor.Scrub(w));
        if (summary is null) return ReshError.Failed("restic backup gave no summary.", null, new JsonObject { ["stderr"] = Resh.Core.Secrets.SecretRedactor.Scrub(r.Stderr) });
        var id = ResticOutput.Str(summary, "snapshot_id");
        var result = new BackupCreateResult(s.Target.Display, s.Kind, ctx.DryRun ? null : ResticOutput.Short(id), ctx.DryRun ? null : id, paths, tags,
            ResticOutput.Long(summary, "files_new"), ResticOutput.Long(summary, "files_changed"), ResticOutput.Long(summary, "files_unmodified"),
            ResticOutput.Long(summary, "total_files_processed"), ResticOutput.Long(summary, "total_bytes_processed"), ResticOutput.Long(summary, "data_added"),
            summary["total_duration"] is JsonValue d && d.TryGetValue<double>(out var secs) ? Math.Round(secs, 3) : 0, r.ExitCode == 3 ? Math.Max(errors, 1) : 0);
        return Outcome.Changed(result);
    }

    static async Task<Outcome<BackupCreateResult>> BorgAsync(VerbContext ctx, BackupSession s, List<string> paths, IReadOnlyList<string> tags)
    {
        var name = ctx.Get(Name) ?? "{hostname}-{utcnow:%Y-%m-%dT%H:%M:%S}";
        if (name.Length == 0 || name.Contains('/') || name.Contains("::", StringComparison.Ordinal) || name.Any(char.IsControl))
            return ReshError.Usage($"`{name}` is not an archive name.", "Archive names have no '/', no '::' and no control characters.");
        var argv = new List<string> { "create", "--log-json", "--list" };
        argv.AddRange(ctx.DryRun ? ["--dry-run"] : ["--filter=AME", "--json"]);
        using var bar = ctx.Progress("backup", null);
        if (bar.Enabled) argv.Add("--progress");
        if (tags.Count > 0) argv.Add("--comment=" + BorgOutput.TagPrefix + string.Join(',', tags));
        foreach (var e in ctx.Get(Excludes)) argv.Add("--exclude=" + e);
        argv.Add(s.Repo + "::" + name);
        argv.AddRange(paths);
        long added = 0, modified = 0, failed = 0;
        var warnings = new List<string>();
        var r = await s.RunAsync(argv, onStderrLine: line =>
        {
            if (!line.StartsWith('{')) return;
            JsonObject? o;
            try { o = JsonNode.Parse(line) as JsonObject; } catch (System.Text.Json.JsonException) { return; }
            if (o is null) return;
            switch (ResticOutput.Str(o, "type"))
            {
                case "file_status":
                    switch (ResticOutput.Str(o, "status")) { case "A" or "-": added++; break; case "M": modified++; break; case "E": failed++; break; }
                    break;
                case "archive_progress": bar.Report(ResticOutput.Long(o, "original_size")); break;
                case "log_message" when ResticOutput.Str(o, "levelname") == "WARNING":
                    lock (warnings) if (warnings.Count < 20) warnings.Add(ResticOutput.Str(o, "message") ?? ""); break;
            }
        }, allowFailure: p => p.ExitCode == 1).ConfigureAwait(false);
        foreach (var w in warnings) ctx.Warn("borg: " + Resh.Core.Secrets.SecretRedactor.Scrub(w.Trim()));
        if (ctx.DryRun)
            return Outcome.Changed(new BackupCreateResult(s.Target.Display, s.Kind, null, null, paths, tags, added, modified, 0, 0, 0, 0, 0, failed));
        var archive = ResticOutput.Parse(r.Stdout)?["archive"] as JsonObject;
        if (archive is null) return ReshError.Failed("borg create gave no archive summary.", null, new JsonObject { ["stderr"] = Resh.Core.Secrets.SecretRedactor.Scrub(r.Stderr) });
        var stats = archive["stats"] as JsonObject ?? [];
        var nfiles = ResticOutput.Long(stats, "nfiles");
        return Outcome.Changed(new BackupCreateResult(s.Target.Display, s.Kind, ResticOutput.Str(archive, "name"), ResticOutput.Str(archive, "id"), paths, tags,
            added, modified, Math.Max(0, nfiles - added - modified), nfiles, ResticOutput.Long(stats, "original_size"), ResticOutput.Long(stats, "deduplicated_size"),
            archive["duration"] is JsonValue d && d.TryGetValue<double>(out var secs) ? Math.Round(secs, 3) : 0, failed));
    }
}
