using Resh.Handles.Ssh.Hosts;

namespace Resh.Handles.Ssh.Transport;

/// <summary>
/// argv for OpenSSH's own programs. Every call is non-interactive (BatchMode: never a prompt), checks
/// host keys strictly unless the caller opted into accept-new, has a connect deadline, keeps a
/// ControlMaster open for a few minutes so the next call skips the handshake, and detects a dead
/// peer. Per-host settings from <c>user@host:port</c> or an inventory are passed as <c>-o</c> options,
/// which take precedence over ~/.ssh/config exactly as they would on ssh's own command line.
/// A ControlMaster is shared only by calls naming the same alias with the same effective settings
/// (<see cref="ControlKey"/>), never by two aliases that merely reach the same address.
/// </summary>
public static class SshCommand
{
    public static List<string> CommonOptions(SshSettings s, HostTarget host, bool multiplex = true)
    {
        var argv = new List<string>();
        if (s.ConfigFile is not null) { argv.Add("-F"); argv.Add(s.ConfigFile); }
        Opt(argv, "BatchMode", "yes");
        Opt(argv, "StrictHostKeyChecking", s.HostKeyPolicy == "accept-new" ? "accept-new" : "yes");
        Opt(argv, "ConnectTimeout", SshSettings.Seconds(s.ConnectTimeout));
        if (multiplex)
        {
            Opt(argv, "ControlMaster", "auto");
            Opt(argv, "ControlPath", Path.Combine(s.ControlDir, ControlKey.For(s, host)));
            Opt(argv, "ControlPersist", SshSettings.Seconds(s.ControlPersist));
        }
        else
        {
            Opt(argv, "ControlMaster", "no");
            Opt(argv, "ControlPath", "none");
        }
        Opt(argv, "ServerAliveInterval", "15");
        Opt(argv, "ServerAliveCountMax", "3");
        Opt(argv, "LogLevel", "ERROR");
        if (host.User is not null) Opt(argv, "User", host.User);
        if (host.Port is not null) Opt(argv, "Port", host.Port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (host.HostName is not null) Opt(argv, "HostName", host.HostName);
        if (host.IdentityFile is not null) Opt(argv, "IdentityFile", host.IdentityFile);
        return argv;
    }

    /// <summary><c>ssh [options] -T -- HOST COMMAND</c>: the command string is parsed by the remote login shell.</summary>
    public static List<string> Ssh(SshSettings s, HostTarget host, string remoteCommand, bool multiplex = true, IEnumerable<string>? extra = null)
    {
        var argv = new List<string> { "ssh" };
        argv.AddRange(CommonOptions(s, host, multiplex));
        if (extra is not null) argv.AddRange(extra);
        argv.Add("-T");
        argv.Add("--");
        argv.Add(host.Destination);
        argv.Add(remoteCommand);
        return argv;
    }

    /// <summary><c>sftp -b - [options] HOST</c>: commands come on stdin; any failing command fails the batch.</summary>
    public static List<string> Sftp(SshSettings s, HostTarget host, bool multiplex = true)
    {
        var argv = new List<string> { "sftp", "-b", "-", "-q" };
        argv.AddRange(CommonOptions(s, host, multiplex));
        argv.Add("--");
        argv.Add(host.Destination);
        return argv;
    }

    /// <summary><c>ssh -G HOST</c>: the effective settings after ~/.ssh/config (no connection is made).</summary>
    public static List<string> Effective(SshSettings s, HostTarget host)
    {
        var argv = new List<string> { "ssh", "-G" };
        if (s.ConfigFile is not null) { argv.Add("-F"); argv.Add(s.ConfigFile); }
        if (host.User is not null) Opt(argv, "User", host.User);
        if (host.Port is not null) Opt(argv, "Port", host.Port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (host.HostName is not null) Opt(argv, "HostName", host.HostName);
        if (host.IdentityFile is not null) Opt(argv, "IdentityFile", host.IdentityFile);
        argv.Add("--");
        argv.Add(host.Destination);
        return argv;
    }

    static void Opt(List<string> argv, string key, string value)
    {
        argv.Add("-o");
        argv.Add($"{key}={value}");
    }
}
