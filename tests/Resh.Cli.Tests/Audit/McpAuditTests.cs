using System.Text.Json.Nodes;
using Resh.Cli.Tests.Mcp;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Audit;

/// <summary>Issue 18: a server surface audits every call, allowed or refused, without being told to (SPEC §10).</summary>
public sealed class McpAuditTests
{
    static JsonObject Call(McpProcess mcp, int id, string tool, JsonObject args) =>
        mcp.Request(id, "tools/call", new JsonObject { ["name"] = tool, ["arguments"] = args });

    [Fact]
    public void Mcp_calls_allowed_and_refused_are_recorded_as_the_mcp_surface_and_the_chain_verifies()
    {
        using var dir = new TempDir("mcp-audit");
        var file = dir.File("a.txt", "alpha\n");
        string state;
        using (var mcp = new McpProcess("--read-only"))
        {
            state = mcp.StateDir;
            mcp.Initialize();
            var read = Call(mcp, 1, "file_read", new JsonObject { ["target"] = "file://" + file });
            Assert.False(read["result"]!["isError"]!.GetValue<bool>());
            var write = Call(mcp, 2, "file_write", new JsonObject { ["target"] = "file://" + dir["b.txt"], ["content"] = "x" });
            Assert.True(write["result"]!["isError"]!.GetValue<bool>());
            Assert.Equal(0, mcp.CloseAndWait());

            var records = File.ReadAllLines(Path.Combine(state, "audit", "audit.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
            Assert.Equal(2, records.Count);
            Assert.All(records, r => Assert.Equal("mcp", r["surface"]!.GetValue<string>()));
            Assert.Equal(["read", "write"], records.Select(r => r["verb"]!.GetValue<string>()));
            Assert.Equal(["ok", "permission_denied"], records.Select(r => r["code"]!.GetValue<string>()));
            Assert.False(File.Exists(dir["b.txt"]));

            var verify = ReshBinary.Run(["audit", "verify"], env: new Dictionary<string, string> { ["RESH_HOME"] = state });
            Assert.True(verify.ExitCode == 0, verify.Stdout);
        }
    }
}
