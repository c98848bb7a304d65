using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Mcp;

/// <summary>
/// tools/list pages are kept in the state dir for the next session of the same binary and policy; a cache file that
/// someone else could have written, or that does not parse, is never served.
/// </summary>
public sealed class McpToolCacheTests : IDisposable
{
    readonly TempDir _home = new("mcp-cache");

    public void Dispose() => _home.Dispose();

    string CacheDir => Path.Combine(_home.Path, "cache", "mcp");

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

    string[] WaitForCacheFiles(int count)
    {
        for (var i = 0; i < 200; i++)
        {
            var files = Directory.Exists(CacheDir) ? Directory.GetFiles(CacheDir, "tools-*.bin") : [];
            if (files.Length >= count) return files;
            Thread.Sleep(50);
        }
        throw new Xunit.Sdk.XunitException($"no {count} cache file(s) in {CacheDir}");
    }

    [Fact]
    public void A_later_session_lists_the_same_tools_from_the_cache_and_another_policy_gets_its_own_file()
    {
        var first = ListAll();
        var file = Assert.Single(WaitForCacheFiles(1));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(first, ListAll());

        var readOnly = ListAll("--read-only");
        Assert.NotEqual(first, readOnly); // write verbs are not listed
        Assert.Equal(2, WaitForCacheFiles(2).Length);
        Assert.Equal(readOnly, ListAll("--read-only"));
    }

    [Fact]
    public void A_cache_file_others_may_write_or_that_does_not_parse_is_not_served()
    {
        var first = ListAll();
        var file = Assert.Single(WaitForCacheFiles(1));
        var bytes = File.ReadAllBytes(file);
        // A forged first page: same framing, different tools. Group-writable, so it must be ignored.
        var forged = "{\"tools\":[{\"name\":\"evil\"}]}"u8.ToArray();
        var planted = new List<byte>(bytes[..8]);
        planted.AddRange(BitConverter.GetBytes(0));
        planted.AddRange(BitConverter.GetBytes(forged.Length));
        planted.AddRange(forged);
        File.WriteAllBytes(file, planted.ToArray());
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite);
        Assert.Equal(first, ListAll());

        // Truncated mid-record: ignored and rebuilt.
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(first, ListAll());
    }
}
