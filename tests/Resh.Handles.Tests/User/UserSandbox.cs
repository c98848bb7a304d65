using System.Diagnostics;
using Resh.Handles.Tests.Svc;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.User;

/// <summary>
/// A private mount namespace with a copy of /etc and fresh /home, /var/mail and /var/log
/// (tests/setup/user-sandbox.sh): resh, useradd and getent run inside it, so the machine's own
/// accounts are never touched. The copy's files are read from outside to check results.
/// </summary>
public sealed class UserSandbox : IDisposable
{
    readonly TempDir _dir = new("reshuser");

    public UserSandbox()
    {
        Namespaced.RequireRoot();
        try
        {
            Pid = int.Parse(Namespaced.Setup("user-sandbox.sh", "start", _dir.Path), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch
        {
            _dir.Dispose();
            throw;
        }
    }

    public int Pid { get; }
    public string Dir => _dir.Path;
    public string Etc(string relative) => Path.Combine(_dir.Path, "etc", relative);
    public string Home(string relative) => Path.Combine(_dir.Path, "home", relative);

    public ReshRun Resh(params string[] args) => Namespaced.Resh(Pid, "-m", ReshBinary.Path, args);

    /// <summary>Any program inside the sandbox (getent, visudo...).</summary>
    public (int Code, string Stdout, string Stderr) Exec(params string[] argv)
    {
        var r = Namespaced.Run(Pid, "-m", argv);
        return r;
    }

    /// <summary>A program inside the sandbox with stdin and extra environment (for resh as another user, or with shims on PATH).</summary>
    public static ReshRun RunNs(IReadOnlyList<string> argv, string? stdin, IDictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException(string.Join(' ', argv)); }
        return new ReshRun(p.ExitCode, o.Result, e.Result, System.Text.Encoding.UTF8.GetBytes(o.Result));
    }

    public ReshRun ReshIn(string? stdin, IDictionary<string, string>? env, params string[] args) =>
        RunNs(["nsenter", "-t", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "--", ReshBinary.Path, .. args], stdin, env);

    public string[] Getent(string db, string key)
    {
        var (code, stdout, _) = Exec("getent", db, key);
        return code == 0 ? stdout.Trim().Split(':') : [];
    }

    public string[]? ShadowLine(string user) =>
        File.ReadAllLines(Etc("shadow")).Select(l => l.Split(':')).FirstOrDefault(f => f[0] == user);

    public void Dispose()
    {
        try { Namespaced.Setup("user-sandbox.sh", "stop", _dir.Path); }
        catch (Exception) { /* best effort */ }
        _dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class UserCollection : ICollectionFixture<UserSandbox>
{
    public const string Name = "user sandbox";
}
