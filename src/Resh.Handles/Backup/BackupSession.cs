using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;
using Resh.Core.Secrets;

namespace Resh.Handles.Backup;

/// <summary>
/// One call's repository: target, backend, the password's private file and the ssh config. Runs the tool and turns its
/// failures into resh's error codes (wrong password → permission_denied, no repository → not_found, locked → conflict).
/// </summary>
public sealed class BackupSession : IDisposable
{
    readonly SecretFile? _password;
    readonly string _program;
    readonly VerbContext _ctx;

    public BackupTarget Target { get; }
    public string Kind { get; }
    public string? SshConfig { get; }
    public bool IsBorg => Kind == BackupKind.Borg;
    /// <summary>The repository as the tool names it.</summary>
    public string Repo => IsBorg ? BackupCommand.BorgRepo(Target) : BackupCommand.ResticRepo(Target);

    BackupSession(VerbContext ctx, BackupTarget target, string kind, SecretFile? password, string? sshConfig)
    {
        _ctx = ctx;
        Target = target;
        Kind = kind;
        _password = password;
        SshConfig = sshConfig;
        _program = BackupKind.Require(kind);
    }

    /// <param name="mustExist">A local repository must already be there (every verb but init).</param>
    public static BackupSession Open(VerbContext ctx, bool mustExist = true, bool needPassword = true)
    {
        var target = BackupTarget.From(ctx);
        var kind = BackupKind.Resolve(target, ctx.Get(BackupArgs.Backend), mustExist);
        var sshConfig = ctx.Get(BackupArgs.SshConfig) ?? ctx.Runtime.Config.Section("ssh")?["config"]?.GetValue<string>();
        if (target.Sftp is not null && sshConfig is not null && !File.Exists(sshConfig))
            throw ReshError.NotFound($"The ssh config {sshConfig} does not exist.", "Pass ssh_config= naming an existing file.").ToException();
        SecretFile? file = null;
        if (needPassword)
        {
            var secret = ctx.GetSecret(BackupArgs.Password)
                ?? throw ReshError.Usage($"backup.{ctx.Verb.Name} needs the repository password.",
                    "Pass password=env:RESTIC_PASSWORD (or file:PATH, secret:NAME, @-).").ToException();
            if (secret.Length == 0) throw ReshError.Usage("The repository password is empty.", "Give the source of a non-empty password.").ToException();
            file = SecretFile.Create(secret, "password");
        }
        return new BackupSession(ctx, target, kind, file, sshConfig);
    }

    public BackupCommand Command(IReadOnlyList<string> verb) => IsBorg
        ? BackupCommand.Borg(_program, _password?.Path, Target, SshConfig, verb)
        : BackupCommand.Restic(_program, Target, _password?.Path, SshConfig, verb);

    /// <summary>Runs the tool; a failure is raised as a ReshError unless <paramref name="allowFailure"/> says the caller reads it.</summary>
    public async Task<ProcessResult> RunAsync(IReadOnlyList<string> verb, Action<string>? onStdoutLine = null, Action<string>? onStderrLine = null,
        string? workingDirectory = null, Func<ProcessResult, bool>? allowFailure = null, int maxOutput = 64 * 1024 * 1024)
    {
        var cmd = Command(verb);
        var env = cmd.Environment;
        // password=env:NAME: the tool gets the password from its file only, not also from the variable resh read it from (s34 attacker #2).
        if (_ctx.Get(BackupArgs.Password) is { Kind: Resh.Core.Secrets.SecretSourceKind.Env, Name: { } variable })
            env = new Dictionary<string, string?>(env, StringComparer.Ordinal) { [variable] = null };
        var result = await ProcessRunner.RunAsync(cmd.Argv, new ProcessOptions
        {
            Environment = env, OnStdoutLine = onStdoutLine, OnStderrLine = onStderrLine,
            WorkingDirectory = workingDirectory, MaxOutputBytes = maxOutput,
        }, _ctx.Cancellation).ConfigureAwait(false);
        if (result.Succeeded || allowFailure?.Invoke(result) == true) return result;
        throw Translate(result, verb).ToException();
    }

    /// <summary>The error a failed run means, from the tool's messages (borg's log-json msgid, restic's Fatal: lines).</summary>
    public ReshError Translate(ProcessResult r, IReadOnlyList<string> verb)
    {
        var (message, msgid) = IsBorg ? BorgOutput.LastError(r.Stderr) : (ResticOutput.LastError(r.Stderr, r.Stdout), null);
        message = SecretRedactor.Scrub(message);
        var shown = Target.Display;
        var details = new JsonObject
        {
            ["backend"] = Kind, ["repository"] = shown, ["exit_code"] = r.ExitCode,
            ["stderr"] = SecretRedactor.Scrub(r.Stderr.Length > 2000 ? "…" + r.Stderr[^2000..] : r.Stderr),
        };
        if (msgid is not null) details["msgid"] = msgid;
        var text = (r.Stderr + "\n" + message);
        if (msgid == "PassphraseWrong" || text.Contains("wrong password", StringComparison.OrdinalIgnoreCase))
            return ReshError.PermissionDenied($"The password does not open the repository {shown}.", "Check the source given in password= (env:, file:, secret:).", details);
        if (msgid is "Repository.DoesNotExist" or "Repository.InvalidRepository" || text.Contains("unable to open config file", StringComparison.Ordinal)
            || text.Contains("Is there a repository at the following location", StringComparison.Ordinal))
            return ReshError.NotFound($"There is no {Kind} repository at {shown}.", $"Create it: resh 'backup://{shown}.init(password=...)'", details);
        if (msgid is "LockTimeout" or "LockFailed" or "LockError" or "LockErrorT" or "NotLocked" || text.Contains("already locked", StringComparison.Ordinal)
            || text.Contains("unable to create lock", StringComparison.Ordinal))
            return ReshError.Conflict($"The repository {shown} is locked by another {Kind} process.",
                $"Wait for it to finish; if none is running (a crash left the lock), remove it: resh 'backup://{shown}.unlock(password=...)'", details);
        if (msgid is "Repository.AlreadyExists" || text.Contains("config file already exists", StringComparison.Ordinal) || text.Contains("repository master key and config already initialized", StringComparison.Ordinal))
            return ReshError.Conflict($"{shown} already holds a repository.", "Use it as it is, or pick another location for init.", details);
        if (msgid is "Archive.DoesNotExist" || text.Contains("no matching ID found", StringComparison.Ordinal) || text.Contains("invalid id", StringComparison.Ordinal)
            || text.Contains("no snapshot found", StringComparison.Ordinal))
            return ReshError.NotFound($"No such snapshot in {shown}: {message}", $"List them: resh backup://{shown}.list", details);
        if (msgid is "Archive.AlreadyExists")
            return ReshError.Conflict($"A snapshot of that name already exists in {shown}.", "Pick another name=.", details);
        if (text.Contains("Permission denied", StringComparison.Ordinal) || text.Contains("permission denied", StringComparison.Ordinal))
            return ReshError.PermissionDenied($"{Kind} was refused access: {message}", "Check the repository's owner and mode, or the SSH login.", details);
        if (Target.Sftp is not null && (text.Contains("Connection refused", StringComparison.Ordinal) || text.Contains("Could not resolve", StringComparison.Ordinal)
            || text.Contains("Connection closed", StringComparison.Ordinal) || text.Contains("ssh command exited", StringComparison.Ordinal)
            || msgid is "ConnectionClosed" or "ConnectionClosedWithHint"))
            return ReshError.Unavailable($"Cannot reach the SFTP repository {shown}: {message}", "Check the host, port and SSH login (ssh_config=).", details);
        return ReshError.Failed($"{Kind} {verb.FirstOrDefault()} failed: {message}", null, details);
    }

    public void Dispose() => _password?.Dispose();
}
