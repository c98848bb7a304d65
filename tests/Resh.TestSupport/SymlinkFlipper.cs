using System.Diagnostics;

namespace Resh.TestSupport;

/// <summary>
/// The local attacker of the path-race reviews (s36 #3, s37 #1): a process running as another user (uid 65534 by
/// default, through setpriv) that swaps two names in one directory it owns, again and again, with
/// renameat2(RENAME_EXCHANGE): typically a real directory and a symlink to somewhere outside, so a path checked by name
/// leads now inside, now outside. Runs until disposed or <paramref name="seconds"/> have passed. Needs root (setpriv).
/// </summary>
public sealed class SymlinkFlipper : IDisposable
{
    const string Script = """
        import ctypes, os, sys, time
        libc = ctypes.CDLL(None, use_errno=True)
        AT_FDCWD, RENAME_EXCHANGE = -100, 2
        os.chdir(sys.argv[1])
        a, b = sys.argv[2].encode(), sys.argv[3].encode()
        end = time.time() + float(sys.argv[4])
        while time.time() < end:
            libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
        """;

    readonly Process _process;

    public SymlinkFlipper(string dir, string a, string b, double seconds = 120, int uid = 65534)
    {
        var psi = new ProcessStartInfo("setpriv", [$"--reuid={uid}", $"--regid={uid}", "--clear-groups", "/usr/bin/python3", "-c", Script, dir, a, b, seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        { UseShellExecute = false };
        _process = Process.Start(psi)!;
        // Returns once the swap is seen happening (python takes a while to start; a fast caller would race nothing).
        var first = new FileInfo(Path.Combine(dir, a)).LinkTarget is null;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20) && !_process.HasExited)
        {
            if ((new FileInfo(Path.Combine(dir, a)).LinkTarget is null) != first) return;
            Thread.Sleep(1);
        }
        throw new InvalidOperationException($"The flipper did not swap {a} and {b} in {dir} within 20 s.");
    }

    public bool Running => !_process.HasExited;

    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(); _process.WaitForExit(5000); } } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
