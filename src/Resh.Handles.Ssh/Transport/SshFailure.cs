using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Handles.Ssh.Hosts;

namespace Resh.Handles.Ssh.Transport;

/// <summary>
/// What went wrong when ssh itself failed (exit 255): the phase (config, connect, hostkey, auth,
/// session) and the SPEC §3 code. OpenSSH has no machine-readable errors, so its stable English
/// messages (forced to LC_ALL=C) are matched here, in one place.
/// </summary>
public sealed record SshFailure(string Phase, string Reason, string LastLine)
{
    public const int SshExitCode = 255;

    public bool IsHostKey => Phase == "hostkey";

    public static SshFailure Classify(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var last = lines.LastOrDefault(l => !l.StartsWith('@')) ?? "";
        bool Has(string s) => stderr.Contains(s, StringComparison.Ordinal);
        if (Has("REMOTE HOST IDENTIFICATION HAS CHANGED") || Has("has changed and you have requested strict checking"))
            return new("hostkey", "changed", last);
        if (Has("Host key verification failed") || Has("host key is known for") || Has("No matching host key type"))
            return new("hostkey", "unknown", last);
        if (Has("Permission denied (") || Has("Too many authentication failures") || Has("UNPROTECTED PRIVATE KEY FILE") || Has("no such identity"))
            return new("auth", "rejected", last);
        if (Has("Could not resolve hostname") || Has("Name or service not known") || Has("Temporary failure in name resolution"))
            return new("connect", "unresolved", last);
        if (Has("Connection refused")) return new("connect", "refused", last);
        if (Has("timed out") || Has("Connection timed out")) return new("connect", "timed_out", last);
        if (Has("No route to host") || Has("Network is unreachable")) return new("connect", "unreachable", last);
        if (Has("Bad configuration option") || Has("Can't open user config file") || Has("Bad owner or permissions") || Has("keyword") && Has("extra arguments"))
            return new("config", "bad_config", last);
        if (Has("kex_exchange_identification") || Has("Connection closed by") || Has("Connection reset") || Has("Broken pipe"))
            return new("connect", "closed", last);
        if (Has("subsystem request failed")) return new("sftp", "no_sftp", last);
        return new("session", "failed", last);
    }

    /// <summary>The envelope error for this failure; host-key errors get the fingerprint added by the caller.</summary>
    public ReshError ToError(HostTarget host, JsonObject? extra = null)
    {
        var details = new JsonObject { ["host"] = host.Alias, ["phase"] = Phase, ["reason"] = Reason, ["ssh_error"] = LastLine };
        if (extra is not null) foreach (var (k, v) in extra) details[k] = v?.DeepClone();
        var error = (Phase, Reason) switch
        {
            ("hostkey", "changed") => ReshError.PermissionDenied(
                $"The host key of {host.Alias} has changed since it was trusted; the connection was refused.",
                $"If the change is expected (reinstall, new key), compare the fingerprint out of band, then: resh ssh://{host.Alias}.hostkey.trust replace=true", details),
            ("hostkey", _) => ReshError.PermissionDenied(
                $"The host key of {host.Alias} is not known; strict checking refused the connection.",
                $"Check the fingerprint out of band, then: resh ssh://{host.Alias}.hostkey.trust (or pass hostkey=accept-new to trust new hosts on first use)", details),
            ("auth", _) => ReshError.PermissionDenied($"{host.Alias} refused the login: {LastLine}",
                "Check the user and key: resh ssh://" + host.Alias + ".config.get shows what ssh will use; load the key into ssh-agent if it has a passphrase.", details),
            ("config", _) => ReshError.Usage($"The ssh configuration is invalid: {LastLine}", "Fix the file named in the message.", details),
            ("connect", "unresolved") => ReshError.Unavailable($"{host.Alias} does not resolve: {LastLine}", "Check the name, or add a Host entry with HostName to ~/.ssh/config.", details),
            ("connect", "timed_out") => ReshError.Unavailable($"{host.Alias} did not answer in time: {LastLine}", "Check that the host is up and port 22 (or its Port) is reachable; [ssh] connect_timeout in the config raises the limit.", details),
            ("connect", _) => ReshError.Unavailable($"Cannot reach {host.Alias}: {LastLine}", "Check that the host is up and sshd listens on its port.", details),
            ("sftp", _) => ReshError.Unavailable($"{host.Alias} offers no SFTP subsystem: {LastLine}", "Enable `Subsystem sftp` in the host's sshd_config.", details) with { Transient = false },
            _ => ReshError.Unavailable($"ssh to {host.Alias} failed: {LastLine}", "Rerun with --verbose to see the ssh command.", details),
        };
        // No session was made, so nothing ran on the host: --retry may repeat even a mutating stage.
        return Phase == "connect" ? error with { NotSent = true } : error;
    }
}
