using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

/// <summary>Running resh for file:// tests and checking envelopes and the file system they changed.</summary>
internal static class Resh
{
    public static ReshRun Run(params string[] args) => ReshBinary.Run(args);

    public static ReshRun WithStdin(byte[] stdin, params string[] args) => ReshBinary.Run(args, stdinBytes: stdin);

    public static ReshRun WithEnv(IDictionary<string, string> env, params string[] args) => ReshBinary.Run(args, env: env);

    /// <summary>Runs the binary as nobody (uid/gid 65534, no groups), for permission tests; tests run as root.</summary>
    public static ReshRun AsNobody(params string[] args) =>
        Tool.RunResh(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", ReshBinary.Path, .. args]);

    /// <summary>The result of an ok envelope, after checking exit 0 and (when given) `changed`.</summary>
    public static JsonNode Ok(ReshRun run, bool? changed = null)
    {
        Assert.True(run.ExitCode == 0 && run.Ok, run.ToString());
        if (changed is { } c) Assert.True(c == run.Changed, $"expected changed={c}\n{run}");
        return run.Result!;
    }

    /// <summary>Checks a failed envelope's code and the exit status SPEC §3 gives it.</summary>
    public static JsonObject Fails(ReshRun run, string code)
    {
        Assert.False(run.Ok, run.ToString());
        Assert.Equal(code, run.ErrorCode);
        int exit = code switch
        {
            "failed" => 1, "usage" => 2, "not_found" => 3, "permission_denied" => 4, "conflict" => 5,
            "timeout" => 6, "unavailable" => 7, "unsupported" => 8, _ => -1,
        };
        Assert.Equal(exit, run.ExitCode);
        Assert.Null(run.Result);
        Assert.False(run.Changed);
        var error = (JsonObject)run.Envelope["error"]!;
        Assert.False(string.IsNullOrWhiteSpace(error["message"]?.GetValue<string>()));
        return error;
    }

    public static string Str(this JsonNode node, string key) => node[key]!.GetValue<string>();
    public static long Num(this JsonNode node, string key) => node[key]!.GetValue<long>();
    public static bool Flag(this JsonNode node, string key) => node[key]!.GetValue<bool>();
}

/// <summary>Real tools the tests use to look at (or prepare) the file system independently of resh.</summary>
internal static class Tool
{
    public static (int Exit, string Stdout, string Stderr) Run(params string[] argv)
    {
        var psi = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException(string.Join(' ', argv)); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string Ok(params string[] argv)
    {
        var (exit, stdout, stderr) = Run(argv);
        Assert.True(exit == 0, $"{string.Join(' ', argv)} exited {exit}: {stderr}");
        return stdout;
    }

    public static ReshRun RunResh(string[] argv)
    {
        var (exit, stdout, stderr) = Run(argv);
        return new ReshRun(exit, stdout, stderr, Encoding.UTF8.GetBytes(stdout));
    }

    /// <summary>stat(1) of a path: %a (octal mode), %u, %g, %Y... as asked.</summary>
    public static string Stat(string format, string path) => Ok("stat", "-c", format, path).Trim();

    public static string Mode(string path) => Stat("%a", path);
}
