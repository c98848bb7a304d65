using System.Text.Json.Nodes;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Backup;

public static class BackupLs
{
    static readonly Arg<string?> Under = Arg.String("path", "Only entries at or below this path of the snapshot.", examples: ["/etc/nginx"]);
    static readonly Arg<long?> Limit = Arg.Int("limit", "At most this many entries (the count is still of all).", 10000, min: 1);

    public static readonly VerbInfo Verb = VerbInfo.Define("ls", Effect.Read,
        "The files of a snapshot: path, type, size, mode, mtime, link target.",
        [BackupArgs.Snapshot, Under, Limit, .. BackupArgs.Common], () => BackupJson.Default.BackupLsResult, RunAsync,
        examples: [new("backup:///srv/backup/repo.ls snapshot=latest path=/etc password=env:RESTIC_PASSWORD", "What the newest snapshot holds under /etc.")],
        notes: "Paths are absolute as they were backed up (borg's stored relative paths get their leading /).");

    static async ValueTask<Outcome<BackupLsResult>> RunAsync(VerbContext ctx)
    {
        using var s = BackupSession.Open(ctx);
        var snap = await BackupSnapshots.ResolveAsync(s, ctx.Get(BackupArgs.Snapshot)!).ConfigureAwait(false);
        var under = ctx.Get(Under) is { } u ? "/" + u.Trim('/') : null;
        var limit = ctx.Get(Limit)!.Value;
        var entries = new List<BackupEntry>();
        long count = 0;
        string shown = snap;
        void Add(BackupEntry e)
        {
            if (under is not null && under != "/" && e.Path != under && !e.Path.StartsWith(under + "/", StringComparison.Ordinal)) return;
            count++;
            if (entries.Count < limit) entries.Add(e);
        }
        if (s.IsBorg)
        {
            var argv = new List<string> { "list", "--json-lines", "--log-json", s.Repo + "::" + snap };
            var r = await s.RunAsync(argv).ConfigureAwait(false);
            foreach (var o in ResticOutput.Lines(r.Stdout))
            {
                var mode = ResticOutput.Str(o, "mode") ?? "";
                var link = ResticOutput.Str(o, "linktarget");
                Add(new BackupEntry("/" + (ResticOutput.Str(o, "path") ?? ""), BorgType(ResticOutput.Str(o, "type")), ResticOutput.Long(o, "size"), BorgOutput.Mode(mode),
                    BorgOutput.Time(ResticOutput.Str(o, "mtime")), string.IsNullOrEmpty(link) ? null : link, ResticOutput.Long(o, "uid"), ResticOutput.Long(o, "gid")));
            }
        }
        else
        {
            var r = await s.RunAsync(["ls", "--json", snap]).ConfigureAwait(false);
            foreach (var o in ResticOutput.Lines(r.Stdout))
            {
                if (ResticOutput.Str(o, "struct_type") == "snapshot") { shown = ResticOutput.Str(o, "short_id") ?? snap; continue; }
                if (ResticOutput.Str(o, "struct_type") != "node") continue;
                var type = ResticOutput.Str(o, "type") ?? "other";
                Add(new BackupEntry(ResticOutput.Str(o, "path") ?? "", type, ResticOutput.Long(o, "size"), ResticOutput.Mode(ResticOutput.Long(o, "mode")),
                    ResticOutput.Str(o, "mtime"), ResticOutput.Str(o, "linktarget") is { Length: > 0 } l ? l : null, ResticOutput.Long(o, "uid"), ResticOutput.Long(o, "gid")));
            }
        }
        return new BackupLsResult(s.Target.Display, s.Kind, shown, count, entries, count > entries.Count);
    }

    static string BorgType(string? t) => t switch
    {
        "-" => "file", "d" => "dir", "l" => "symlink", "p" => "fifo", "s" => "socket", "b" => "dev", "c" => "chardev", _ => "other",
    };
}
