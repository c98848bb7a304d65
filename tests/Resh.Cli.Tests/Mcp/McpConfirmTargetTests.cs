using System.Text.Json.Nodes;
using Xunit;

namespace Resh.Cli.Tests.Mcp;

/// <summary>The confirmation of a destructive call names the file the call would really change, not the client's spelling of it.</summary>
public sealed class McpConfirmTargetTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("resh-mcp-confirm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_confirmation_shows_the_resolved_target()
    {
        var victim = Directory.CreateDirectory(Path.Combine(_dir, "victim")).FullName;
        var precious = Path.Combine(victim, "precious");
        File.WriteAllText(precious, "keep\n");
        Directory.CreateDirectory(Path.Combine(_dir, "build", "stale-build-artifacts-safe-to-remove"));
        var spelling = $"file://{_dir}/build/stale-build-artifacts-safe-to-remove/../../victim/precious";

        using var mcp = new McpProcess();
        mcp.Request(0, "initialize", new JsonObject
        {
            ["protocolVersion"] = "2025-11-25",
            ["capabilities"] = new JsonObject { ["elicitation"] = new JsonObject() },
            ["clientInfo"] = new JsonObject { ["name"] = "raw", ["version"] = "1" },
        });
        mcp.Send(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" }.ToJsonString());
        mcp.Send(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = "file_delete", ["arguments"] = new JsonObject { ["target"] = spelling } },
        }.ToJsonString());

        var ask = mcp.Next();
        Assert.Equal("elicitation/create", ask["method"]?.GetValue<string>());
        var message = ask["params"]!["message"]!.GetValue<string>();
        Assert.Contains($"file://{precious} ", message);
        Assert.DoesNotContain("stale-build-artifacts-safe-to-remove", message);
        Assert.DoesNotContain("/../", message);
        Assert.DoesNotContain("stale", ask["params"]!["requestedSchema"]!.ToJsonString());

        mcp.Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = ask["id"]!.DeepClone(), ["result"] = new JsonObject { ["action"] = "decline" } }.ToJsonString());
        var answer = mcp.Next();
        Assert.Equal("permission_denied", answer["result"]!["structuredContent"]!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("keep\n", File.ReadAllText(precious));
        Assert.Equal(0, mcp.CloseAndWait());
    }
}
