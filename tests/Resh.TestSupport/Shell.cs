using System.Diagnostics;

namespace Resh.TestSupport;

/// <summary>What a bash script printed and returned.</summary>
public sealed record ShellRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>
/// Runs a bash script with $RESH set to the native binary, for what only a shell can set up:
/// closed or full descriptors, pipes whose reader exits, pseudo-terminals, signals.
/// </summary>
public static class Shell
{
    public static ShellRun Run(string script, IDictionary<string, string>? env = null, TimeSpan? wait = null)
    {
        var psi = new ProcessStartInfo("bash", ["--norc", "--noprofile", "-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.Environment["RESH"] = ReshBinary.Path;
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment.Remove("RESH_CONFIG");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(wait ?? TimeSpan.FromSeconds(120)))
        {
            p.Kill(true);
            throw new TimeoutException($"bash script did not finish: {script}");
        }
        p.WaitForExit();
        return new ShellRun(p.ExitCode, outTask.Result, errTask.Result);
    }

    /// <summary>Single-quotes a word for bash.</summary>
    public static string Q(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
