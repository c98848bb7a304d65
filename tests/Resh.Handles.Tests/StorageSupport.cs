using System.Diagnostics;
using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests;

/// <summary>Helpers for the storage tests: shell commands, root checks, private mount namespaces.</summary>
public static class Sh
{
    /// <summary>Runs a program (argv, no shell) and returns its exit code and output; fails the test on timeout.</summary>
    public static (int Code, string Out) Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish"); }
        return (p.ExitCode, o.Result + e.Result);
    }

    public static string Ok(string program, params string[] args)
    {
        var (code, output) = Run(program, args);
        Assert.True(code == 0, $"{program} {string.Join(' ', args)} exited {code}: {output}");
        return output;
    }

    public static void RequireRoot()
    {
        Assert.True(Environment.UserName == "root" || Run("id", "-u").Out.Trim() == "0",
            "This test needs root (mounts, loop devices, chown); CI runs as root. Run the suite as root.");
    }
}

/// <summary>
/// A private mount namespace held open by a `sleep` started here; resh runs inside it through nsenter,
/// so mounts made by the tests never show outside and vanish when the holder is killed (by PID).
/// </summary>
public sealed class MountNamespace : IDisposable
{
    readonly Process _holder;

    public MountNamespace()
    {
        Sh.RequireRoot();
        var psi = new ProcessStartInfo("unshare", ["-m", "--propagation", "private", "sleep", "900"]) { UseShellExecute = false };
        _holder = Process.Start(psi)!;
        // unshare execs sleep in the new namespace: wait until the namespace differs from ours.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var mine = File.ResolveLinkTarget("/proc/self/ns/mnt", false)?.ToString();
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var theirs = new FileInfo($"/proc/{_holder.Id}/ns/mnt").LinkTarget;
                if (theirs is not null && theirs != mine && File.ReadAllText($"/proc/{_holder.Id}/comm").Trim() == "sleep") return;
            }
            catch (IOException) { }
            Thread.Sleep(20);
        }
        throw new InvalidOperationException("the private mount namespace did not start");
    }

    public int Pid => _holder.Id;

    public ReshRun Resh(params string[] args) => Resh(args, null);

    public ReshRun Resh(string[] args, IDictionary<string, string>? env)
    {
        var all = new[] { "-t", Pid.ToString(), "-m", "--", ReshBinary.Path }.Concat(args).ToArray();
        var psi = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in all) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("resh in namespace did not finish"); }
        return new ReshRun(p.ExitCode, o.Result, e.Result, Encoding.UTF8.GetBytes(o.Result));
    }

    /// <summary>Runs a program inside the namespace.</summary>
    public string Exec(params string[] args) => Sh.Ok("nsenter", new[] { "-t", Pid.ToString(), "-m", "--" }.Concat(args).ToArray());

    public void Dispose()
    {
        try { _holder.Kill(); _holder.WaitForExit(5000); } catch (InvalidOperationException) { }
        _holder.Dispose();
    }
}

/// <summary>A file-system image made by tests/setup/loopfs.sh; detached and deleted on dispose, even after a failure.</summary>
public sealed class LoopImage : IDisposable
{
    public LoopImage(TempDir dir, string fsType, string size = "300M")
    {
        Sh.RequireRoot();
        ImagePath = dir[$"{fsType}.img"];
        Sh.Ok("bash", Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "loopfs.sh"), "make", ImagePath, fsType, size);
    }

    public string ImagePath { get; }

    public void Dispose() => Sh.Run("bash", Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "loopfs.sh"), "destroy", ImagePath);
}
