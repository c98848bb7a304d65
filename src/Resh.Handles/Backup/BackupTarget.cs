using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Backup;

/// <summary>An SFTP location: <c>sftp:[USER@]HOST[:PORT]:PATH</c> (PATH absolute, or relative to the login's home).</summary>
public sealed record SftpLocation(string? User, string Host, int? Port, string Path);

/// <summary>
/// The backup:// target: a local repository directory (<c>backup:///srv/backup/repo</c>) or an SFTP one
/// (<c>backup://sftp:backup@nas:/srv/repo</c>, <c>backup://sftp:nas:2222:repo</c>).
/// </summary>
public sealed record BackupTarget(string? Local, SftpLocation? Sftp)
{
    public const string Grammar = "A local repository directory (backup:///srv/backup/repo), or SFTP: backup://sftp:[USER@]HOST[:PORT]:PATH " +
                                  "(backup://sftp:backup@nas:/srv/repo; a PATH without a leading / is relative to the login's home).";

    /// <summary>How the target is written back into a stage (schedule's command, hints).</summary>
    public string Display => Local ?? $"sftp:{(Sftp!.User is null ? "" : Sftp.User + "@")}{Sftp.Host}{(Sftp.Port is null ? "" : ":" + Sftp.Port)}:{Sftp.Path}";

    public static BackupTarget From(VerbContext ctx) => Parse(ctx.Target, ctx.Runtime.Paths.Home);

    public static BackupTarget Parse(string target, string home)
    {
        var t = target.Trim();
        if (t.Length == 0)
            throw ReshError.Usage("The backup:// target is empty: name the repository.", "Example: resh 'backup:///srv/backup/repo.init(password=env:RESTIC_PASSWORD)'").ToException();
        if (t.Contains('\0') || t.Contains('\n') || t.Contains('\r'))
            throw ReshError.Usage("The repository location holds a control character.", "Name the repository by a plain path.").ToException();
        if (t.StartsWith("sftp:", StringComparison.Ordinal)) return new(null, ParseSftp(t[5..]));
        if (t == "~" || t.StartsWith("~/", StringComparison.Ordinal)) t = System.IO.Path.Combine(home, t.TrimStart('~').TrimStart('/'));
        var full = System.IO.Path.GetFullPath(t);
        return new(full.Length > 1 ? full.TrimEnd('/') : full, null);
    }

    static SftpLocation ParseSftp(string rest)
    {
        var hint = "Write sftp:[USER@]HOST[:PORT]:PATH, e.g. backup://sftp:backup@nas:/srv/repo or backup://sftp:nas:2222:repo.";
        if (rest.StartsWith("//", StringComparison.Ordinal))
            throw ReshError.Usage("backup:// takes SFTP repositories as sftp:HOST:PATH, not sftp://.", hint).ToException();
        var colon = rest.IndexOf(':');
        if (colon <= 0) throw ReshError.Usage($"`sftp:{rest}` names no host and path.", hint).ToException();
        var userHost = rest[..colon];
        var after = rest[(colon + 1)..];
        int? port = null;
        var portEnd = after.IndexOf(':');
        if (portEnd > 0 && after[..portEnd].All(char.IsAsciiDigit))
        {
            if (!int.TryParse(after[..portEnd], out var p) || p is < 1 or > 65535)
                throw ReshError.Usage($"`{after[..portEnd]}` is not a TCP port.", hint).ToException();
            port = p;
            after = after[(portEnd + 1)..];
        }
        string? user = null;
        var host = userHost;
        var at = userHost.LastIndexOf('@');
        if (at >= 0) { user = userHost[..at]; host = userHost[(at + 1)..]; }
        if (host.Length == 0 || host.StartsWith('-') || !host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            throw ReshError.Usage($"`{host}` is not a host name or address.", hint).ToException();
        if (user is not null && (user.Length == 0 || user.StartsWith('-') || !user.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')))
            throw ReshError.Usage($"`{user}` is not a user name.", hint).ToException();
        if (after.Length == 0) throw ReshError.Usage("The SFTP repository has no path.", hint).ToException();
        return new(user, host, port, after);
    }
}
