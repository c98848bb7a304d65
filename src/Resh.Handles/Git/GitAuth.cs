using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Secrets;

namespace Resh.Handles.Git;

/// <summary>
/// Credentials for verbs that talk to a remote. A token (token=, or a password taken out of the URL) reaches git
/// only through GIT_ASKPASS: a fixed helper script in the secret's private 0700 directory (SecretFile) prints the user name, or the token
/// from a 0600 file (SecretFile, on a tmpfs when there is one); both are removed when the call ends. The token is
/// never in argv, the environment or a URL. SSH uses the agent or ssh_key= (ssh -i), always in batch mode.
/// </summary>
public sealed class GitAuth : IDisposable
{
    public static readonly Arg<SecretRef?> TokenArg = Arg.Secret("token", "Token or password for an https remote, given to git through GIT_ASKPASS (never argv or the URL).");
    public static readonly Arg<string?> UserArg = Arg.String("user", "User name sent with token= (GitHub: x-access-token, GitLab: oauth2).", "x-access-token");
    public static readonly Arg<string?> SshKeyArg = Arg.String("ssh_key", "Private key for an SSH remote (ssh -i KEY -o IdentitiesOnly=yes); else the agent and ~/.ssh.", path: PathUse.Read);

    public static ArgInfo[] Args => [TokenArg, UserArg, SshKeyArg];

    readonly SecretFile? _token;
    readonly Dictionary<string, string?> _env = [];

    GitAuth(SecretFile? token, string? scriptPath, string? user, string? sshKey)
    {
        _token = token;
        if (token is not null && scriptPath is not null)
        {
            _env["GIT_ASKPASS"] = scriptPath;
            _env["RESH_GIT_TOKEN_FILE"] = token.Path;
            _env["RESH_GIT_USER"] = user ?? "x-access-token";
        }
        if (sshKey is not null)
        {
            // The caller's own ssh command (GIT_SSH_COMMAND: a config file, a jump host) stays; the key is added to it.
            var ssh = System.Environment.GetEnvironmentVariable("GIT_SSH_COMMAND") is { Length: > 0 } own ? own : "ssh";
            _env["GIT_SSH_COMMAND"] = ssh + " -o BatchMode=yes -o IdentitiesOnly=yes -i '" + sshKey.Replace("'", "'\\''") + "'";
        }
    }

    /// <summary>Extra environment for git; entries override the defaults of <see cref="Git"/>.</summary>
    public IReadOnlyDictionary<string, string?> Environment => _env;

    /// <summary>Credentials for this call: token= (else the URL's password), ssh_key=.</summary>
    public static GitAuth From(VerbContext ctx, string? urlUser = null, string? urlPassword = null)
    {
        var token = ctx.GetSecret(TokenArg);
        if (token is null && !string.IsNullOrEmpty(urlPassword))
        {
            token = SecretValue.FromText(urlPassword); // registers it with the redactor: masked wherever it might surface
        }
        var user = ctx.IsSet(UserArg) || string.IsNullOrEmpty(urlUser) ? ctx.Get(UserArg) : urlUser;
        var key = ctx.Get(SshKeyArg) is { } k ? Path.GetFullPath(k) : null;
        if (token is null) return new GitAuth(null, null, null, key);
        var file = SecretFile.Create(token, "token", executable: true);
        // The helper script lives in the secret's own private directory (never $TMPDIR, which may be another user's: s34 attacker #13).
        // git asks "Username for '...': " then "Password for '...': "; the script answers from the environment and the 0600 file.
        var script = file.AddFile("askpass", "#!/bin/sh\ncase \"$1\" in\nUsername*) printf '%s\\n' \"$RESH_GIT_USER\" ;;\n*) cat \"$RESH_GIT_TOKEN_FILE\"; echo ;;\nesac\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new GitAuth(file, script, user, key);
    }

    public bool HasToken => _token is not null;

    bool _disposed;

    /// <summary>Wipes and removes the token file (once: a caller may end its life early, right after the network step).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _token?.Dispose();
    }
}
