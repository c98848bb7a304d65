using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Resh.TestSupport;

/// <summary>What one run of the native binary printed and returned.</summary>
public sealed record ReshRun(int ExitCode, string Stdout, string Stderr, byte[] StdoutBytes)
{
    /// <summary>The envelope (the last stdout line that parses as a JSON object with "ok").</summary>
    public JsonObject Envelope
    {
        get
        {
            var whole = Stdout.Trim();
            if (whole.StartsWith('{') && whole.Contains('\n') && !whole.Contains("}\n{"))
            {
                try { if (JsonNode.Parse(whole) is JsonObject pretty && pretty.ContainsKey("ok")) return pretty; }
                catch (System.Text.Json.JsonException) { }
            }
            var lines = Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            for (int i = lines.Length - 1; i >= 0; i--)
            {
                if (lines[i].StartsWith('{') && JsonNode.Parse(lines[i]) is JsonObject o && o.ContainsKey("ok")) return o;
            }
            throw new Xunit.Sdk.XunitException($"No envelope in stdout (exit {ExitCode}).\nstdout: {Stdout}\nstderr: {Stderr}");
        }
    }

    /// <summary>Every NDJSON line before the envelope (streamed events).</summary>
    public IReadOnlyList<JsonObject> Events =>
        Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("{\"event\"", StringComparison.Ordinal) || l.Contains("\"event\":"))
            .Select(l => (JsonObject)JsonNode.Parse(l)!).Where(o => o.ContainsKey("event")).ToList();

    public bool Ok => Envelope["ok"]!.GetValue<bool>();
    public JsonNode? Result => Envelope["result"];
    public string? ErrorCode => Envelope["error"]?["code"]?.GetValue<string>();
    public bool Changed => Envelope["changed"]!.GetValue<bool>();

    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>
/// Runs the published Native AOT binary, so end-to-end tests catch AOT breakage. The binary comes from
/// RESH_BIN (set by test.sh) or the default publish folder; its absence fails the test loudly.
/// </summary>
public static class ReshBinary
{
    public static string Path { get; } = Locate();

    static string Locate()
    {
        var env = Environment.GetEnvironmentVariable("RESH_BIN");
        if (!string.IsNullOrEmpty(env)) return System.IO.Path.GetFullPath(env);
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir, "resh.slnx"))) dir = System.IO.Path.GetDirectoryName(dir);
        if (dir is null) throw new InvalidOperationException("Cannot find the repository root (resh.slnx) to locate the native binary; set RESH_BIN.");
        return System.IO.Path.Combine(dir, ".build", "resh", "resh");
    }

    public static string RepoRoot
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir, "resh.slnx"))) dir = System.IO.Path.GetDirectoryName(dir);
            return dir ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static ReshRun Run(params string[] args) => Run(args, stdin: null);

    /// <param name="binary">Another copy of the binary to run (default: <see cref="Path"/>).</param>
    public static ReshRun Run(IEnumerable<string> args, string? stdin = null, byte[]? stdinBytes = null, string? cwd = null,
        IDictionary<string, string>? env = null, TimeSpan? wait = null, string? binary = null)
    {
        if (binary is null && !File.Exists(Path))
            throw new InvalidOperationException($"The native resh binary is missing at {Path}. Run ./test.sh (it publishes it first) or set RESH_BIN.");
        var psi = new ProcessStartInfo(binary ?? Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = cwd ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment.Remove("RESH_CONFIG");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var outTask = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var errTask = p.StandardError.ReadToEndAsync();
        try
        {
            if (stdinBytes is not null) p.StandardInput.BaseStream.Write(stdinBytes);
            else if (stdin is not null) p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException) { }
        if (!p.WaitForExit(wait ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill(true);
            throw new TimeoutException($"resh {string.Join(' ', args)} did not finish.");
        }
        outTask.Wait();
        var bytes = stdout.ToArray();
        return new ReshRun(p.ExitCode, Encoding.UTF8.GetString(bytes), errTask.Result, bytes);
    }
}
