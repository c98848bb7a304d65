using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcFiles
{
    static readonly Arg<long?> Limit = Arg.Int("limit", "Return at most this many descriptors.", min: 1);

    public static readonly VerbInfo Verb = VerbInfo.Define("files", Effect.Read,
        "Open file descriptors of a process: files, sockets, pipes and devices (like lsof -p).",
        [Limit], () => ProcJson.Default.ProcFilesResult, Run,
        examples: [new("proc://1234.files", "What PID 1234 has open.")]);

    static Outcome<ProcFilesResult> Run(VerbContext ctx)
    {
        var target = ProcTarget.Parse(ctx);
        var entries = target.ResolveExisting(false, false);
        if (entries.Count > 1)
            return ReshError.Conflict($"{entries.Count} processes are named `{target.Name}`; name one by PID.",
                $"Example: resh proc://{entries[0].Pid}.files",
                new JsonObject { ["pids"] = new JsonArray(entries.Select(e => (JsonNode?)e.Pid).ToArray()) });
        var e = entries[0];
        List<string> fds;
        try { fds = Directory.EnumerateFileSystemEntries($"/proc/{e.Pid}/fd").ToList(); }
        catch (UnauthorizedAccessException) { return ReshError.PermissionDenied($"Cannot read the descriptors of PID {e.Pid}.", "Run as the process's user or as root."); }
        catch (IOException) { return ReshError.NotFound($"PID {e.Pid} exited.", null); }
        var files = new List<ProcOpenFile>();
        foreach (var fd in fds)
        {
            if (!int.TryParse(Path.GetFileName(fd), out var n)) continue;
            var link = ProcFs.ReadLink(fd);
            if (link is null) continue;
            files.Add(new ProcOpenFile(n, Classify(link), link));
        }
        files.Sort((a, b) => a.Fd.CompareTo(b.Fd));
        var total = files.Count;
        if (ctx.Get(Limit) is { } limit && files.Count > limit) files = files.Take((int)limit).ToList();
        return new ProcFilesResult(e.Pid, e.Comm, total, files);
    }

    static string Classify(string link)
    {
        if (link.StartsWith("socket:", StringComparison.Ordinal)) return "socket";
        if (link.StartsWith("pipe:", StringComparison.Ordinal)) return "pipe";
        if (link.StartsWith("anon_inode:", StringComparison.Ordinal)) return "anon_inode";
        if (link.EndsWith(" (deleted)", StringComparison.Ordinal)) return "deleted";
        if (link.StartsWith("/dev/", StringComparison.Ordinal)) return "device";
        if (!link.StartsWith('/')) return "other";
        return Directory.Exists(link) ? "directory" : "file";
    }
}
