using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Mcp;

/// <summary>
/// s41 review: tools/list keeps nothing in the state dir any more (the built-in tools' JSON is in the binary,
/// McpToolTable); each session lists the same tools from nothing, and a cache file an earlier version left, even a
/// planted one, is never read.
/// </summary>
public sealed class McpToolListStateTests : IDisposable
{
    readonly TempDir _home = new("mcp-nocache");

    public void Dispose() => _home.Dispose();

    /// <summary>Every page of one session, as the text of each response's result.</summary>
    List<string> ListAll(params string[] args)
    {
        using var mcp = new McpProcess(_home.Path, args);
        mcp.Initialize();
        var pages = new List<string>();
        string? cursor = null;
        for (var id = 1; id < 20; id++)
        {
            var result = mcp.Request(id, "tools/list", cursor is null ? new JsonObject() : new JsonObject { ["cursor"] = cursor })["result"]!.AsObject();
            pages.Add(result.ToJsonString());
            cursor = result["nextCursor"]?.GetValue<string>();
            if (cursor is null) break;
        }
        Assert.Equal(0, mcp.CloseAndWait());
        return pages;
    }

    [Fact]
    public void Sessions_list_the_same_tools_and_leave_no_cache_in_the_state_dir()
    {
        var first = ListAll();
        Assert.True(first.Count > 1, "tools/list should page");
        Assert.False(Directory.Exists(Path.Combine(_home.Path, "cache", "mcp")), "tools/list wrote a cache");
        Assert.Equal(first, ListAll());
        var readOnly = ListAll("--read-only");
        Assert.NotEqual(first, readOnly);
        Assert.False(Directory.Exists(Path.Combine(_home.Path, "cache", "mcp")));
    }

    [Fact]
    public void A_cache_file_left_in_the_state_dir_is_not_read()
    {
        var first = ListAll();
        var dir = Path.Combine(_home.Path, "cache", "mcp");
        Directory.CreateDirectory(dir);
        // What an earlier version's file looked like, describing a tool that does not exist.
        var planted = "RESHMCP1"u8.ToArray().Concat(BitConverter.GetBytes(0)).Concat(BitConverter.GetBytes(30))
            .Concat("{\"tools\":[{\"name\":\"evil\"}]}  "u8.ToArray()).ToArray();
        foreach (var f in new[] { "tools-00000000000000000000000000000000.bin" }) File.WriteAllBytes(Path.Combine(dir, f), planted);
        var again = ListAll();
        Assert.Equal(first, again);
        Assert.DoesNotContain("evil", string.Concat(again));
    }
}
