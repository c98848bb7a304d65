using System.Diagnostics;
using System.Text;
using Resh.TestSupport;

namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>Runs the independent tools the system:// tests compare against (free, df, ip, who...) with argv arrays.</summary>
internal static class Tools
{
    public sealed record ToolRun(int Exit, string Stdout, string Stderr);

    public static ToolRun Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, string? stdin = null,
        TimeSpan? wait = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["LC_ALL"] = "C";
        psi.Environment.Remove("RESH_CONFIG");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(wait ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill(true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish.");
        }
        return new ToolRun(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a tool that must succeed and returns its stdout.</summary>
    public static string Ok(string file, params string[] args)
    {
        var run = Run(file, args);
        if (run.Exit != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({run.Exit}): {run.Stderr}");
        return run.Stdout;
    }

    /// <summary>Runs the native resh behind a wrapper (ip netns exec NS, unshare ...), so it sees the wrapper's namespaces.</summary>
    public static ReshRun Resh(string[] wrapper, params string[] reshArgs)
    {
        if (!File.Exists(ReshBinary.Path)) throw new InvalidOperationException($"The native resh binary is missing at {ReshBinary.Path}; set RESH_BIN.");
        var run = Run(wrapper[0], wrapper.Skip(1).Append(ReshBinary.Path).Concat(reshArgs));
        return new ReshRun(run.Exit, run.Stdout, run.Stderr, Encoding.UTF8.GetBytes(run.Stdout));
    }

    /// <summary>Runs a POSIX shell script with positional parameters (test set-up inside a namespace); never a product code path.</summary>
    public static ReshRun ReshInScript(string script, params string[] parameters)
    {
        var run = Run("unshare", new[] { "--mount", "--propagation", "private", "sh", "-ec", script, "sh", ReshBinary.Path }.Concat(parameters));
        return new ReshRun(run.Exit, run.Stdout, run.Stderr, Encoding.UTF8.GetBytes(run.Stdout));
    }
}
