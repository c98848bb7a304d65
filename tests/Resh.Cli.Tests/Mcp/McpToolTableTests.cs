using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Mcp;

/// <summary>
/// The tools' JSON made at build time and appended to the native binary (McpToolTable, issue 18: a cold tools/list in
/// ≤ 50 ms): what `RESH_MCP_DUMP_TOOLS=FILE resh mcp` makes is each built-in tool's JSON exactly as tools/list builds it
/// from the declarations; a binary lists the same tools with its table as without (RESH_MCP_TABLE=0), under every
/// policy that trims tools; the table the binary carries equals a fresh dump; a damaged table is ignored.
/// </summary>
public sealed class McpToolTableTests : IDisposable
{
    readonly TempDir _dir = new("mcp-table");

    public void Dispose() => _dir.Dispose();

    static readonly byte[] Magic = "RESHTOOL"u8.ToArray();

    /// <summary>Every tool of one session (a fresh state dir: no cached pages), in order, as JSON.</summary>
    List<JsonObject> ListAll(IReadOnlyDictionary<string, string>? env, string? exe, params string[] args)
    {
        using var mcp = new McpProcess(_dir[Guid.NewGuid().ToString("n")], args, env, exe);
        mcp.Initialize();
        var tools = new List<JsonObject>();
        string? cursor = null;
        for (var id = 1; id < 30; id++)
        {
            var result = mcp.Request(id, "tools/list", cursor is null ? new JsonObject() : new JsonObject { ["cursor"] = cursor })["result"]!.AsObject();
            tools.AddRange(result["tools"]!.AsArray().Select(t => t!.AsObject()));
            cursor = result["nextCursor"]?.GetValue<string>();
            if (cursor is null) break;
        }
        Assert.Equal(0, mcp.CloseAndWait());
        return tools;
    }

    static readonly Dictionary<string, string> NoTable = new() { ["RESH_MCP_TABLE"] = "0" };

    /// <summary>The entries of a table (name → JSON bytes), checking the layout; with <paramref name="trailer"/> its end too.</summary>
    static Dictionary<string, byte[]> Entries(byte[] data, bool trailer)
    {
        var end = data.Length;
        if (trailer)
        {
            Assert.Equal(Magic, data[^8..]);
            var length = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(data.Length - 16));
            Assert.Equal(data.Length - 16, length);
            end = (int)length;
        }
        var entries = new Dictionary<string, byte[]>();
        for (var at = 0; at < end;)
        {
            var n = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at));
            var name = Encoding.UTF8.GetString(data, at + 4, n);
            at += 4 + n;
            var j = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at));
            entries.Add(name, data[(at + 4)..(at + 4 + j)]);
            at += 4 + j;
        }
        return entries;
    }

    byte[] Dump()
    {
        var file = _dir.File("tools.bin", "");
        var run = ReshBinary.Run(["mcp"], stdin: "", env: new Dictionary<string, string> { ["RESH_MCP_DUMP_TOOLS"] = file, ["RESH_HOME"] = _dir["dump-home"] });
        Assert.True(run.ExitCode == 0, run.ToString());
        return File.ReadAllBytes(file);
    }

    /// <summary>The table appended to the binary under test (with its trailer), or null (a JIT build has none). Other
    /// sections (the agent front) may follow it: each ends in its length and an 8-byte RESH... magic.</summary>
    static byte[]? Carried()
    {
        var exe = File.ReadAllBytes(ReshBinary.Path);
        for (var end = exe.Length; end >= 16 && exe.AsSpan(end - 8, 4).SequenceEqual("RESH"u8);)
        {
            var length = (int)BinaryPrimitives.ReadInt64LittleEndian(exe.AsSpan(end - 16));
            if (exe.AsSpan(end - 8, 8).SequenceEqual(Magic)) return exe[(end - 16 - length)..end];
            end -= 16 + length;
        }
        return null;
    }

    [Fact]
    public void The_dumped_table_is_each_built_in_tool_as_the_declarations_make_it()
    {
        var entries = Entries(Dump(), trailer: true);
        // --allow-reveal: a policy that trims nothing (reveal is offered, no read-only, hosts allowed).
        var built = ListAll(NoTable, null, "--allow-reveal");
        Assert.True(entries.Count >= 300, $"only {entries.Count} tools in the table");
        foreach (var tool in built)
        {
            var name = tool["name"]!.GetValue<string>();
            Assert.True(entries.TryGetValue(name, out var json), $"{name} is not in the table");
            Assert.True(JsonNode.DeepEquals(tool, JsonNode.Parse(json)), $"{name}: the table has {Encoding.UTF8.GetString(json)}, the declarations make {tool.ToJsonString()}");
        }
        Assert.Equal(built.Count, entries.Count);
    }

    [Fact]
    public void The_binary_lists_the_same_tools_with_its_table_as_without_under_each_policy()
    {
        if (Carried() is { } carried)
            Assert.True(carried.AsSpan().SequenceEqual(Dump()), "the table appended to the binary differs from what its declarations make now");
        foreach (var args in new[] { Array.Empty<string>(), ["--read-only"], ["--allow-reveal"], ["--deny", "ssh.*", "--allow", "file.*", "--allow", "secret.*"] })
        {
            var with = ListAll(null, null, args);
            var without = ListAll(NoTable, null, args);
            Assert.Equal(without.Count, with.Count);
            for (var i = 0; i < with.Count; i++)
                Assert.True(JsonNode.DeepEquals(without[i], with[i]), $"{string.Join(' ', args)}: {with[i]["name"]} differs");
        }
    }

    [Fact]
    public void A_damaged_table_is_ignored()
    {
        if (Carried() is null || File.Exists(Path.ChangeExtension(ReshBinary.Path, ".dll")))
            return; // a JIT build: its apphost cannot be copied away from its assemblies, and it carries no table
        var expected = ListAll(NoTable, null);
        foreach (var tail in new[]
        {
            // A length beyond the file, a negative one, and entries that do not parse.
            new byte[] { 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0 }.Concat(Magic).ToArray(),
            new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }.Concat(Magic).ToArray(),
            new byte[] { 9, 0, 0, 0, (byte)'x', 8, 0, 0, 0, 0, 0, 0, 0 }.Concat(Magic).ToArray(),
        })
        {
            Directory.CreateDirectory(_dir["bin"]);
            var copy = Path.Combine(_dir["bin"], "resh");
            File.Copy(ReshBinary.Path, copy, overwrite: true);
            using (var f = new FileStream(copy, FileMode.Append)) f.Write(tail);
            File.SetUnixFileMode(copy, File.GetUnixFileMode(ReshBinary.Path));
            var listed = ListAll(null, copy);
            Assert.Equal(expected.Count, listed.Count);
            Assert.True(expected.Zip(listed).All(p => JsonNode.DeepEquals(p.First, p.Second)));
        }
    }
}
