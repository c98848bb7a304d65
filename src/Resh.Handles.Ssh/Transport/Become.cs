using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Handles.Ssh.Hosts;

namespace Resh.Handles.Ssh.Transport;

/// <summary>
/// Running something as another user on a host, as Ansible's become does: sudo (the default), su or doas.
/// A password never reaches a command line: it is the first line of the channel's stdin, read by the
/// remote shell into a variable and handed to sudo through an askpass helper that prints it from the
/// environment (sudo -A; the command's own environment is reset by sudo, so it does not inherit it).
/// su and doas read passwords only from a terminal, so with them resh becomes without a password
/// (logged in as root, or doas `permit nopass`).
/// </summary>
public sealed record Become(string Method, string User, string? Password)
{
    /// <summary>What sudo and friends print when becoming was refused (LC_ALL=C).</summary>
    static readonly string[] RefusalMarks =
    [
        "a password is required", "incorrect password attempt", "is not in the sudoers file", "is not allowed to execute", "may not run sudo",
        "no tty present", "a terminal is required", "doas: Authentication failed", "doas: Operation not permitted", "su: Authentication failure",
        "su: must be run from a terminal", "sorry, you must have a tty", "no askpass program specified",
    ];

    /// <summary>
    /// Shell text that must run before anything reads stdin: takes the password line and prepares the askpass helper.
    /// The helper answers once per call: it prints the password only while the call's token file exists and
    /// removes it, so a wrong password makes sudo's second prompt fail at once (one failed login, not sudo's
    /// default three). Tokens sudo never asked for (cached credentials) are swept after 10 minutes.
    /// </summary>
    public string Prelude => Password is null || Method != "sudo" ? "" :
        "IFS= read -r __p; __a=\"${XDG_CACHE_HOME:-$HOME/.cache}/resh/askpass-once\"; if [ ! -x \"$__a\" ]; then (umask 077; mkdir -p \"${__a%/*}\" && " +
        "printf '#!/bin/sh\\nrm -- \"$RESH_BECOME_ONCE\" 2>/dev/null || exit 1\\nprintf \"%%s\\\\n\" \"$RESH_BECOME_PASSWORD\"\\n' > \"$__a.$$\" && chmod 700 \"$__a.$$\" && mv -f \"$__a.$$\" \"$__a\"); fi; " +
        "find \"${__a%/*}\" -maxdepth 1 -name 'once.*' -mmin +10 -exec rm -f -- {} + 2>/dev/null; __o=\"${__a%/*}/once.$$\"; (umask 077; : > \"$__o\"); " +
        "export RESH_BECOME_PASSWORD=\"$__p\" SUDO_ASKPASS=\"$__a\" RESH_BECOME_ONCE=\"$__o\"; unset __p; ";

    /// <summary>The bytes that go on stdin before anything else (the password line), or none.</summary>
    public byte[] StdinPrefix => Password is null || Method != "sudo" ? [] : Encoding.UTF8.GetBytes(Password + "\n");

    /// <summary>Words put before a program and its arguments to run it as <see cref="User"/> (quoted for the shell).</summary>
    public string Wrapper => Method switch
    {
        "su" => $"su -s /bin/sh -c 'exec \"$0\" \"$@\"' {ShellQuote.Quote(User)} ",
        "doas" => $"doas -n -u {ShellQuote.Quote(User)} ",
        _ => Password is null ? $"sudo -n -H -u {ShellQuote.Quote(User)} -- " : $"sudo -A -H -u {ShellQuote.Quote(User)} -- ",
    };

    /// <summary>su and doas cannot be given a password without a terminal: say so before connecting.</summary>
    public ReshError? Unsupported() => Password is not null && Method != "sudo"
        ? ReshError.Unsupported($"become_method={Method} reads a password only from a terminal, which resh never types into.",
            "Use become_method=sudo with a password, or allow it without one (doas: permit nopass; su: log in as root).")
        : null;

    /// <summary>When stderr says the become step itself was refused: permission_denied with phase become.</summary>
    public ReshError? Refusal(HostTarget host, string stderr)
    {
        var line = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(l => RefusalMarks.Any(m => l.Contains(m, StringComparison.Ordinal)));
        if (line is null) return null;
        var needsPassword = line.Contains("password is required", StringComparison.Ordinal) || line.Contains("terminal", StringComparison.Ordinal)
            || line.Contains("tty", StringComparison.Ordinal) || line.Contains("askpass", StringComparison.Ordinal);
        return ReshError.PermissionDenied($"{host.Alias} refused to let the login user become {User} with {Method}: {line}",
            needsPassword && Password is null
                ? "Give the password with --become-password (a secret: secret:NAME, env:VAR or file:PATH), or allow the user without one (sudoers NOPASSWD)."
                : $"Check {Method}'s rules for the login user on the host (sudoers, doas.conf) and the password.",
            new JsonObject { ["host"] = host.Alias, ["phase"] = "become", ["method"] = Method, ["become_user"] = User, ["reason"] = line });
    }
}
