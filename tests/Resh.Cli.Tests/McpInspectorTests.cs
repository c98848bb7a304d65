using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Cli.Tests.Mcp;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>`resh mcp` under the MCP inspector's CLI (@modelcontextprotocol/inspector-cli from npm) over stdio.</summary>
public sealed class McpInspectorTests
{
    static JsonObject Inspect(params string[] args)
    {
        var cli = Path.Combine(McpNodeClient.Modules, "@modelcontextprotocol", "inspector-cli", "build", "index.js");
        if (!File.Exists(cli)) throw new InvalidOperationException($"The MCP inspector CLI is missing at {cli}; run scripts/install-test-deps.sh.");
        // inspector-cli 1.0.3 checks for its package.json relative to the working directory but imports it relative to
        // its module: run it from its build directory so both name the same file.
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(cli)!,
        };
        using var state = new TempDir("mcp-state"); // the server's audit trail goes here, not into the machine's state dir
        psi.Environment["RESH_HOME"] = state.Path;
        psi.ArgumentList.Add(cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException("inspector-cli did not finish"); }
        Assert.True(p.ExitCode == 0, $"inspector-cli exit {p.ExitCode}: {stderr.Result}\n{stdout.Result}");
        return (JsonObject)JsonNode.Parse(stdout.Result)!;
    }

    [Fact]
    public void Inspector_lists_the_tools_and_calls_file_read()
    {
        var list = Inspect(ReshBinary.Path, "mcp", "--method", "tools/list", "--", "--read-only");
        var names = list["tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("file_read", names);
        Assert.DoesNotContain("file_write", names);

        using var dir = new TempDir();
        var path = dir.File("inspect.txt", "seen by the inspector\n");
        var call = Inspect(ReshBinary.Path, "mcp", "--method", "tools/call", "--tool-name", "file_read", "--tool-arg", "target=file://" + path);
        Assert.NotEqual(true, call["isError"]?.GetValue<bool>());
        Assert.Equal("seen by the inspector\n", call["structuredContent"]!["result"]!["content"]!.GetValue<string>());
    }
}
