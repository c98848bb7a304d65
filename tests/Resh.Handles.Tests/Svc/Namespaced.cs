using System.Diagnostics;
using System.Text;
using Resh.TestSupport;

namespace Resh.Handles.Tests.Svc;

/// <summary>Runs programs (resh among them) inside the namespaces of a process the test setup started.</summary>
public static class Namespaced
{
    /// <summary>A program inside the namespaces of <paramref name="pid"/> (nsenter -t PID FLAGS -- argv).</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(int pid, string nsFlags, IReadOnlyList<string> argv, TimeSpan? wait = null)
    {
        var psi = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("-t");
        psi.ArgumentList.Add(pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var f in nsFlags.Split(' ', StringSplitOptions.RemoveEmptyEntries)) psi.ArgumentList.Add(f);
        psi.ArgumentList.Add("--");
        foreach (var a in argv) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment.Remove("RESH_CONFIG");
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(wait ?? TimeSpan.FromSeconds(90)))
        {
            p.Kill(true);
            throw new TimeoutException($"{string.Join(' ', argv)} did not finish inside the namespace of {pid}.");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>resh at <paramref name="reshPath"/> (a path visible inside the namespaces) with the given arguments.</summary>
    public static ReshRun Resh(int pid, string nsFlags, string reshPath, IReadOnlyList<string> args, TimeSpan? wait = null)
    {
        var (code, stdout, stderr) = Run(pid, nsFlags, [reshPath, .. args], wait);
        return new ReshRun(code, stdout, stderr, Encoding.UTF8.GetBytes(stdout));
    }

    /// <summary>Runs a setup script from tests/setup and returns its stdout; a failure fails the fixture loudly.</summary>
    public static string Setup(string script, params string[] args)
    {
        var path = Path.Combine(ReshBinary.RepoRoot, "tests", "setup", script);
        var psi = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(true);
            throw new TimeoutException($"{script} {string.Join(' ', args)} did not finish.");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Result.Trim();
    }

    /// <summary>These tests start real service managers in namespaces: without root that is impossible, and silently skipping would hide it.</summary>
    public static void RequireRoot()
    {
        var uid = File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[2];
        if (uid != "0") throw new InvalidOperationException("svc:// and cron:// tests need root: they boot systemd in a container and run cron and OpenRC in private namespaces.");
    }

    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout) throw new TimeoutException($"Timed out waiting for {what}.");
            Thread.Sleep(50);
        }
    }
}
