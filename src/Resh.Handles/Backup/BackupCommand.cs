namespace Resh.Handles.Backup;

/// <summary>
/// One run of restic or borg: the argv and the environment changes, built here so a unit test can see them.
/// The password never appears in either: restic reads it from RESTIC_PASSWORD_FILE, borg through BORG_PASSCOMMAND
/// (`cat FILE`), FILE being a 0600 file in a private 0700 directory that exists only for the call.
/// </summary>
public sealed record BackupCommand(IReadOnlyList<string> Argv, IReadOnlyDictionary<string, string?> Environment)
{
    /// <summary>Variables a parent shell may have set that would choose the repository or password behind resh's back.</summary>
    static readonly string[] ResticInherited = ["RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY", "RESTIC_REPOSITORY_FILE", "RESTIC_KEY_HINT"];
    static readonly string[] BorgInherited = ["BORG_PASSPHRASE", "BORG_PASSPHRASE_FD", "BORG_NEW_PASSPHRASE", "BORG_REPO", "BORG_RSH"];

    /// <param name="passwordFile">The 0600 file holding the password (null: no password, e.g. a check for the tool only).</param>
    /// <param name="verb">The tool's subcommand and its arguments (without the repository for restic; borg takes it inside).</param>
    public static BackupCommand Restic(string program, BackupTarget target, string? passwordFile, string? sshConfig, IReadOnlyList<string> verb)
    {
        var argv = new List<string> { program, "--repo", ResticRepo(target) };
        if (target.Sftp is { } s) argv.AddRange(["--option", "sftp.command=" + string.Join(' ', SshWords(s, sshConfig, forRestic: true).Select(Quote))]);
        argv.AddRange(verb);
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var v in ResticInherited) env[v] = null;
        env["RESTIC_PASSWORD_FILE"] = passwordFile;
        env["RESTIC_PROGRESS_FPS"] = "4";
        return new BackupCommand(argv, env);
    }

    public static BackupCommand Borg(string program, string? passwordFile, BackupTarget target, string? sshConfig, IReadOnlyList<string> verb)
    {
        var argv = new List<string> { program };
        argv.AddRange(verb);
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var v in BorgInherited) env[v] = null;
        env["BORG_PASSCOMMAND"] = passwordFile is null ? null : "cat " + Quote(passwordFile);
        env["BORG_DISPLAY_PASSPHRASE"] = "no";
        env["BORG_RELOCATED_REPO_ACCESS_IS_OK"] = "no";
        env["BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK"] = "no";
        env["BORG_CHECK_I_KNOW_WHAT_I_AM_DOING"] = "NO";
        env["BORG_DELETE_I_KNOW_WHAT_I_AM_DOING"] = "NO";
        if (target.Sftp is { } s) env["BORG_RSH"] = string.Join(' ', SshWords(s, sshConfig, forRestic: false).Select(Quote));
        return new BackupCommand(argv, env);
    }

    /// <summary>restic's name of the repository: the directory, or sftp:HOST:PATH (the connection itself is resh's sftp.command).</summary>
    public static string ResticRepo(BackupTarget t) => t.Local ?? $"sftp:{t.Sftp!.Host}:{t.Sftp.Path}";

    /// <summary>borg's name of the repository: the directory, or ssh://[USER@]HOST[:PORT]/PATH (a relative PATH as /./PATH).</summary>
    public static string BorgRepo(BackupTarget t)
    {
        if (t.Local is { } l) return l;
        var s = t.Sftp!;
        var path = s.Path.StartsWith('/') ? s.Path : "/./" + s.Path;
        return $"ssh://{(s.User is null ? "" : s.User + "@")}{s.Host}{(s.Port is null ? "" : ":" + s.Port)}{path}";
    }

    /// <summary>The ssh command line: batch mode (never a prompt), the ssh config resh was told to use, and for restic the host, user, port and sftp subsystem.</summary>
    static IEnumerable<string> SshWords(SftpLocation s, string? sshConfig, bool forRestic)
    {
        yield return "ssh";
        if (sshConfig is not null) { yield return "-F"; yield return sshConfig; }
        yield return "-o";
        yield return "BatchMode=yes";
        if (!forRestic) yield break;
        if (s.Port is { } p) { yield return "-p"; yield return p.ToString(System.Globalization.CultureInfo.InvariantCulture); }
        if (s.User is { } u) { yield return "-l"; yield return u; }
        yield return "-s";
        yield return "--";
        yield return s.Host;
        yield return "sftp";
    }

    /// <summary>A word for restic's and borg's shell-style splitting (never a shell).</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@%+".Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";
}
