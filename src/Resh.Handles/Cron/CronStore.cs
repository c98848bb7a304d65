using System.Text;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Cron;

/// <summary>A crontab file resh can read: a user's, /etc/crontab or one in /etc/cron.d.</summary>
internal sealed record CronTable(string Path, string Source, bool SystemFormat, string? User, string Text);

/// <summary>Reads every crontab and writes user crontabs and /etc/cron.d files atomically.</summary>
internal sealed class CronStore(CronLocations loc)
{
    public CronLocations Locations => loc;

    static bool IsRoot => LibC.GetEUid() == 0;

    string? TryRead(string path)
    {
        try
        {
            path = loc.Access(path);
            return System.IO.File.Exists(path) ? System.IO.File.ReadAllText(path) : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    public async Task<List<CronTable>> TablesAsync(CancellationToken ct)
    {
        var tables = new List<CronTable>();
        if (IsRoot || !loc.IsHostRoot)
        {
            if (Directory.Exists(loc.AccessDir(loc.Spool)))
            {
                try
                {
                    foreach (var name in Directory.EnumerateFiles(loc.AccessDir(loc.Spool)).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal))
                    {
                        var f = loc.UserCrontab(name);
                        if (name.StartsWith('.') || name.StartsWith("tmp.", StringComparison.Ordinal)) continue;
                        if (TryRead(f) is { } text) tables.Add(new CronTable(f, $"crontab:{name}", false, name, text));
                    }
                }
                catch (UnauthorizedAccessException) { }
            }
        }
        else
        {
            var me = Users.UserName(LibC.GetEUid()) ?? Environment.UserName;
            tables.Add(new CronTable(loc.UserCrontab(me), $"crontab:{me}", false, me, await ReadViaCrontabAsync(ct).ConfigureAwait(false)));
        }
        if (TryRead(loc.SystemCrontab) is { } sys) tables.Add(new CronTable(loc.SystemCrontab, loc.SystemCrontab, true, null, sys));
        if (Directory.Exists(loc.AccessDir(loc.CronD)))
        {
            foreach (var name in Directory.EnumerateFiles(loc.AccessDir(loc.CronD)).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal))
            {
                // cron reads only run-parts style names: no dots (skips .dpkg-old, editor backups).
                var f = Path.Combine(loc.CronD, name);
                if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) continue;
                if (TryRead(f) is { } text) tables.Add(new CronTable(f, f, true, null, text));
            }
        }
        return tables;
    }

    static async Task<string> ReadViaCrontabAsync(CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync(["crontab", "-l"], null, ct).ConfigureAwait(false);
        return r.Succeeded ? r.Stdout : ""; // "no crontab for USER" exits 1
    }

    /// <summary>The current text of a user's crontab ("" when it has none).</summary>
    public async Task<string> ReadUserAsync(string user, CancellationToken ct)
    {
        if (IsRoot || !loc.IsHostRoot) return TryRead(loc.UserCrontab(user)) ?? "";
        return await ReadViaCrontabAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Replaces a user's crontab. As root: straight into the spool (0600, owned by the user, group crontab),
    /// renamed into place so cron sees the directory change; otherwise through crontab(1).</summary>
    public async Task WriteUserAsync(string user, string text, CancellationToken ct)
    {
        if (IsRoot || !loc.IsHostRoot)
        {
            if (!Directory.Exists(loc.AccessDir(loc.Spool)))
                throw ReshError.Unavailable($"The cron spool {loc.Spool} does not exist.", "Install cron (apt-get install cron), or give root= for an image.").ToException();
            var pw = Users.User(user) ?? throw ReshError.NotFound($"No user `{user}`.", "Give an existing user name.").ToException();
            var gid = Users.Group("crontab")?.Gid ?? pw.Gid;
            AtomicFile.Write(loc.Access(loc.UserCrontab(user)), Encoding.UTF8.GetBytes(text), (UnixFileMode)0x180,
                temp => Posix.Chown(temp, (int)pw.Uid, (int)gid, follow: false));
            return;
        }
        var me = Users.UserName(LibC.GetEUid());
        if (user != me)
            throw ReshError.PermissionDenied($"Only root can change {user}'s crontab.", "Run as root, or leave user= out for your own crontab.").ToException();
        await ProcessRunner.RunCheckedAsync(["crontab", "-"], new ProcessOptions { Stdin = Encoding.UTF8.GetBytes(text) }, ct).ConfigureAwait(false);
    }

    public void WriteCronD(string path, string text)
    {
        if (loc.IsHostRoot) Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        path = loc.Access(path, create: true);
        if (text.Length == 0) { System.IO.File.Delete(path); return; }
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(text), (UnixFileMode)0x1a4);
    }
}
