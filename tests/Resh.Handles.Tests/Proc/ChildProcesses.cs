using System.Diagnostics;

namespace Resh.Handles.Tests.Proc;

/// <summary>Processes a test starts itself; every one is killed by PID and reaped on dispose, even when the test fails.</summary>
public sealed class ChildProcesses : IDisposable
{
    readonly List<Process> _children = [];
    readonly List<int> _detached = [];

    /// <summary>Starts argv as a direct child of the test process.</summary>
    public Process Start(IReadOnlyList<string> argv, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        _children.Add(p);
        WaitUntil(() => File.Exists($"/proc/{p.Id}/cmdline") && File.ReadAllText($"/proc/{p.Id}/cmdline").Length > 0 && Comm(p.Id) != "dotnet");
        return p;
    }

    public Process Sleep(int seconds = 300) => Start(["sleep", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    /// <summary>Remembers a PID started elsewhere (resh proc://.spawn) so dispose kills it.</summary>
    public void Adopt(int pid) => _detached.Add(pid);

    public static string? Comm(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { return null; }
    }

    /// <summary>The state letter from /proc/PID/stat, or null when gone.</summary>
    public static char? State(int pid)
    {
        try
        {
            var s = File.ReadAllText($"/proc/{pid}/stat");
            return s[s.LastIndexOf(')') + 2];
        }
        catch (IOException) { return null; }
    }

    public static bool Gone(int pid) => State(pid) is null or 'Z' or 'X';

    public static void WaitUntil(Func<bool> condition, int timeoutMs = 5000)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) throw new TimeoutException("condition not met in time");
            Thread.Sleep(10);
        }
    }

    public void Dispose()
    {
        foreach (var p in _children)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(5000); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        foreach (var pid in _detached)
        {
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
    }
}
