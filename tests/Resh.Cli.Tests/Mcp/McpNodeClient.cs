using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;

namespace Resh.Cli.Tests.Mcp;

/// <summary>
/// Runs Mcp/mcp-client.cjs: a client on the official MCP TypeScript SDK (installed by scripts/install-test-deps.sh
/// into .build/mcp-client), which starts `resh mcp` itself over stdio, runs the steps and prints what it saw.
/// </summary>
public static class McpNodeClient
{
    public static string Modules => Environment.GetEnvironmentVariable("MCP_CLIENT_MODULES") is { Length: > 0 } m ? m
        : Path.Combine(ReshBinary.RepoRoot, ".build", "mcp-client", "node_modules");

    static string Script => Path.Combine(AppContext.BaseDirectory, "Mcp", "mcp-client.cjs");

    public static JsonObject Run(JsonObject config, int timeoutSeconds = 90)
    {
        if (!Directory.Exists(Path.Combine(Modules, "@modelcontextprotocol", "sdk")))
            throw new InvalidOperationException($"The MCP SDK is missing under {Modules}; run scripts/install-test-deps.sh.");
        config["resh"] ??= ReshBinary.Path;
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Script);
        psi.ArgumentList.Add(config.ToJsonString());
        psi.Environment["MCP_CLIENT_MODULES"] = Modules;
        using var state = new TempDir("mcp-state"); // the server's audit trail goes here, not into the machine's state dir
        psi.Environment["RESH_HOME"] = state.Path;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"The MCP client did not finish in {timeoutSeconds} s. stderr: {stderr.Result}");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"The MCP client failed (exit {p.ExitCode}): {stderr.Result}\n{stdout.Result}");
        return (JsonObject)JsonNode.Parse(stdout.Result)!;
    }

    public static JsonObject Config(string[]? serverArgs = null, string? elicit = null, params JsonObject[] steps)
    {
        var args = new JsonArray();
        foreach (var a in serverArgs ?? []) args.Add((JsonNode)a);
        var s = new JsonArray();
        foreach (var step in steps) s.Add((JsonNode)step);
        return new JsonObject { ["serverArgs"] = args, ["elicit"] = elicit, ["steps"] = s };
    }

    public static JsonObject Call(string name, JsonObject args, bool progress = false, int? abortAfterMs = null)
    {
        var o = new JsonObject { ["op"] = "call", ["name"] = name, ["args"] = args, ["progress"] = progress };
        if (abortAfterMs is { } ms) o["abortAfterMs"] = ms;
        return o;
    }

    public static JsonObject Op(string op) => new() { ["op"] = op };
}
