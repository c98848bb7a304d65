using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Resh.TestSupport;

/// <summary>
/// `resh serve` started as a process on a free loopback port for a test: the state dir and config given as RESH_HOME
/// and RESH_CONFIG, tokens made with `resh token create`, stderr kept (its log lines), stopped by its own PID on
/// Dispose. The set-up the Serve* and McpHttp test classes each repeated.
/// </summary>
public sealed class ServeProcess : IDisposable
{
    readonly Process _process;
    readonly ConcurrentQueue<string> _stderr = new();

    public string Url { get; }
    public int Port { get; }
    public IReadOnlyDictionary<string, string> Env { get; }
    /// <summary>Every line the server wrote to stderr so far.</summary>
    public IReadOnlyList<string> StderrLines => _stderr.ToArray();
    public int Pid => _process.Id;

    ServeProcess(Process process, string url, int port, IReadOnlyDictionary<string, string> env)
    {
        _process = process;
        Url = url;
        Port = port;
        Env = env;
    }

    /// <summary>Starts `resh serve --listen 127.0.0.1:PORT EXTRA...` and waits until it says it listens.</summary>
    /// <param name="scheme">https when the extra flags give --tls-cert.</param>
    public static ServeProcess Start(string home, string config, IEnumerable<string>? extra = null, string scheme = "http",
        IReadOnlyDictionary<string, string>? env = null, string? binary = null)
    {
        var port = LoopbackPorts.Free(1)[0];
        var environment = new Dictionary<string, string>(env ?? new Dictionary<string, string>()) { ["RESH_HOME"] = home, ["RESH_CONFIG"] = config };
        var psi = new ProcessStartInfo(binary ?? ReshBinary.Path) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])["serve", "--listen", $"127.0.0.1:{port}", .. extra ?? []]) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        psi.Environment["NO_COLOR"] = "1";
        var listening = new ManualResetEventSlim();
        var p = new Process { StartInfo = psi };
        var server = new ServeProcess(p, $"{scheme}://127.0.0.1:{port}", port, environment);
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            server._stderr.Enqueue(e.Data);
            if (e.Data.Contains($"listening on {scheme}://127.0.0.1:{port}")) listening.Set();
        };
        p.Start();
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        if (!listening.Wait(TimeSpan.FromSeconds(30)))
        {
            server.Dispose();
            Assert.Fail("resh serve did not say it listens: " + string.Join("\n", server.StderrLines));
        }
        return server;
    }

    /// <summary>`resh token create name=NAME role=ROLE` with the server's state dir and config: the bare token.</summary>
    public string Token(string name, string role, string? expires = null) => Token(Env, name, role, expires);

    /// <summary>`resh token create name=NAME role=ROLE [expires=…]` with RESH_HOME and RESH_CONFIG in <paramref name="env"/> (no server needed).</summary>
    public static string Token(IReadOnlyDictionary<string, string> env, string name, string role, string? expires = null)
    {
        string[] args = ["token", "create", $"name={name}", $"role={role}", "--format", "json"];
        if (expires is not null) args = [.. args, $"expires={expires}"];
        var run = ReshBinary.Run(args, env: new Dictionary<string, string>(env));
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!["token"]!.GetValue<string>();
    }

    /// <summary>Waits until a stderr line contains <paramref name="text"/>.</summary>
    public bool WaitForStderr(string text, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_stderr.Any(l => l.Contains(text, StringComparison.Ordinal))) return true;
            Thread.Sleep(50);
        }
        return false;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(true); _process.WaitForExit(5000); } }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
