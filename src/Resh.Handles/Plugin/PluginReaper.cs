using System.Diagnostics;
using System.Globalization;
using System.Text;
using Resh.Core.Platform;

namespace Resh.Handles.Plugin;

/// <summary>
/// Makes a plugin's process tree die with resh, even when resh is killed with SIGKILL (review s35 P4). Each plugin runs
/// in its own session and process group (setsid). On the first plugin start of a process, resh starts one watcher: itself
/// again (<c>resh __plugin-reaper</c>, in a session of its own so a Ctrl-C or a kill of resh's group does not reach it)
/// with a pipe on its stdin. resh writes <c>+PGID</c> when a plugin starts and <c>-PGID</c> once its group is gone; when
/// resh ends, however it ends, the kernel closes the pipe, the watcher reads EOF and sends SIGKILL to every group still
/// listed, then exits. Why not PR_SET_PDEATHSIG: .NET cannot run code between fork and exec, the signal fires when the
/// forking <em>thread</em> exits (thread-pool threads retire while a long-lived ndjson plugin runs), and it reaches only
/// the direct child, not the grandchildren the plugin started.
/// </summary>
public static class PluginReaper
{
    /// <summary>The hidden first argument that turns resh into the watcher (Program.cs checks it before anything else).</summary>
    public const string Entry = "__plugin-reaper";

    static readonly System.Threading.Lock Gate = new();
    static Stream? _pipe;
    static Process? _watcher;
    static bool _unavailable;

    /// <summary>How long starting the watcher took in this process (0 until then): measured for docs/plugins.md.</summary>
    public static double StartMs { get; private set; }

    /// <summary>The watcher's pid, or null when none runs (tests).</summary>
    public static int? WatcherPid { get { lock (Gate) return _watcher is { } w && !w.HasExited ? w.Id : null; } }

    /// <summary>Lists a plugin's process group: killed if resh ends before <see cref="Forget"/>.</summary>
    public static void Watch(int pgid) => Send('+', pgid);

    /// <summary>The group is gone (killed or reaped): the watcher drops it, so a reused id is never killed.</summary>
    public static void Forget(int pgid) => Send('-', pgid);

    static void Send(char op, int pgid)
    {
        if (pgid <= 1) return;
        lock (Gate)
        {
            if (!Ensure()) return;
            try
            {
                _pipe!.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{op}{pgid}\n")));
                _pipe.Flush();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException) { _unavailable = true; _pipe = null; }
        }
    }

    static bool Ensure()
    {
        if (_pipe is not null) return true;
        if (_unavailable) return false;
        var self = Environment.ProcessPath;
        var setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
        if (self is null || setsid is null) { _unavailable = true; return false; }
        var clock = Stopwatch.StartNew();
        var psi = new ProcessStartInfo(setsid)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        psi.ArgumentList.Add(self);
        psi.ArgumentList.Add(Entry);
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        try
        {
            var p = Process.Start(psi)!;
            // It writes nothing; resh's read ends are closed so no pipe of resh is held open by it.
            p.StandardOutput.Dispose();
            p.StandardError.Dispose();
            _watcher = p;
            _pipe = p.StandardInput.BaseStream;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            _unavailable = true;
            return false;
        }
        StartMs = clock.Elapsed.TotalMilliseconds;
        return true;
    }

    /// <summary>The watcher's loop: reads +PGID/-PGID lines until EOF, then SIGKILLs every group still listed.</summary>
    public static int Run()
    {
        var groups = new HashSet<int>();
        var mine = LibC.GetPgrp();
        try
        {
            using var reader = new StreamReader(Console.OpenStandardInput(), Encoding.ASCII);
            while (reader.ReadLine() is { } line)
            {
                if (line.Length < 2 || line.Length > 12) continue;
                if (!int.TryParse(line.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var g) || g <= 1 || g == mine) continue;
                if (line[0] == '+') groups.Add(g);
                else if (line[0] == '-') groups.Remove(g);
            }
        }
        catch (IOException) { }
        foreach (var g in groups) _ = LibC.Kill(-g, 9);
        return 0;
    }
}
