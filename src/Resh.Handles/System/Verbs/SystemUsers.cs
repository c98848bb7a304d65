using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

public static partial class SystemUsers
{
    static readonly Arg<string?> File = Arg.String("file", "Read this utmp-format file instead of /run/utmp (as who FILE does, e.g. /var/log/wtmp).",
        examples: ["/var/run/utmp"], path: PathUse.Read);

    public static readonly VerbInfo Verb = VerbInfo.Define("users", Effect.Read,
        "Logged-in sessions (user, terminal, remote host, login time, pid) from utmp, like who.",
        [File], () => SystemJson.Default.UsersResult, Run,
        examples: [new("system://.users", "Who is logged in."), new("'system://.users(file=/tmp/utmp.copy)'", "Sessions recorded in another utmp file.")],
        notes: "Reads glibc's binary utmp (384-byte records) directly. As who(1) does, sessions whose process has gone are left out " +
               "when reading the system file, and kept (with process_alive) when a file is named. No utmp file is an empty list with a warning.");

    static Outcome<UsersResult> Run(VerbContext ctx)
    {
        var file = ctx.Get(File);
        if (file is not null)
        {
            var full = Path.GetFullPath(file);
            if (!System.IO.File.Exists(full))
                return ReshError.NotFound($"The utmp file {file} does not exist.", "Give the path of a utmp or wtmp file.", new JsonObject { ["path"] = full });
            var bytes = ProcFile.ReadBytes(full);
            if (bytes is null)
                return ReshError.PermissionDenied($"The utmp file {file} cannot be read.", "Run as a user who may read it.", new JsonObject { ["path"] = full });
            if (bytes.Length % Utmp.RecordSize != 0)
                return ReshError.Failed($"{file} is not a utmp file: its size is not a multiple of {Utmp.RecordSize} bytes.",
                    "Give a utmp/wtmp file written by glibc on this architecture.", new JsonObject { ["path"] = full, ["size"] = bytes.Length });
            return Collect(full, bytes, checkPids: false);
        }
        return CollectSystem(ctx.Warn);
    }

    public static UsersResult CollectSystem(Action<string> warn)
    {
        foreach (var path in Utmp.DefaultPaths)
        {
            var bytes = ProcFile.ReadBytes(path);
            if (bytes is not null) return Collect(path, bytes, checkPids: true);
        }
        warn("No utmp file (/run/utmp, /var/run/utmp): nothing records logins on this system, so the session list is empty.");
        return new UsersResult(null, [], 0, []);
    }

    static UsersResult Collect(string path, byte[] bytes, bool checkPids)
    {
        var sessions = new List<UserSession>();
        foreach (var r in Utmp.Parse(bytes))
        {
            if (r.Type != UtmpRecord.UserProcess || r.User.Length == 0) continue;
            bool? alive = r.Pid > 0 ? ProcessExists(r.Pid) : null;
            if (checkPids && alive == false) continue;
            sessions.Add(new UserSession(r.User, r.Line, r.Host.Length == 0 ? null : r.Host, SystemText.Rfc3339(r.Time), r.Pid, alive, r.Id,
                r.Address?.ToString()));
        }
        var users = sessions.Select(s => s.User).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new UsersResult(path, sessions, sessions.Count, users);
    }

    // kill(pid, 0): ESRCH means gone; EPERM means it exists but belongs to someone else.
    static bool ProcessExists(int pid) => Kill(pid, 0) == 0 || System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != 3;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
