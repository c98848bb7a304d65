using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Resh.Core.Output;
using Resh.Core.Registry;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// Every built-in tool's JSON (<see cref="McpTool.ToJson"/>, before any policy trims it), made by the native binary
/// itself at build time and appended to it (scripts/build-native.sh runs `RESH_MCP_DUMP_TOOLS=FILE resh mcp`, then
/// appends FILE): a fresh binary's first tools/list copies these bytes instead of exporting 350 result schemas (the
/// JSON Schema exporter's reflection and its garbage were ~90% of a cold list). The table is a function of the binary's
/// own declarations only, so it cannot be stale; a binary without it (a JIT build, a plugin's tool) builds the JSON
/// as before. Layout at the end of the executable: entries (int32 name length, name, int32 JSON length, JSON), then
/// the entries' length (int64) and <see cref="Magic"/> (the layout <see cref="Resh.Core.Platform.AppendedData"/> reads; the agent front may follow it). RESH_MCP_TABLE=0 ignores the table (the tests compare both).
/// </summary>
public static class McpToolTable
{
    static readonly byte[] Magic = "RESHTOOL"u8.ToArray();
    const long MaxTable = 64L << 20;

    /// <summary>Set to a file name, `resh mcp` writes the table there (with its trailer) and exits.</summary>
    public const string DumpVariable = "RESH_MCP_DUMP_TOOLS";

    /// <summary>Set to 0, the table is not used.</summary>
    public const string UseVariable = "RESH_MCP_TABLE";

    static readonly Lazy<Dictionary<string, byte[]>?> Loaded = new(() =>
        Environment.GetEnvironmentVariable(UseVariable) == "0" ? null : Read("/proc/self/exe"));

    /// <summary>The precomputed JSON of a built-in tool, or null.</summary>
    public static byte[]? Find(HandleRegistry registry, McpTool tool) =>
        Loaded.Value is { } table && registry.IsBuiltIn(tool.Handle.Scheme) && table.TryGetValue(tool.Name, out var json) ? json : null;

    /// <summary>The table at the end of <paramref name="path"/>, or null when it has none (or a damaged one).</summary>
    public static Dictionary<string, byte[]>? Read(string path)
    {
        return Resh.Core.Platform.AppendedData.Read(path, Magic, MaxTable) is { } data ? Parse(data) : null;
    }

    /// <summary>The entries of a table (without its trailer), or null when they do not parse.</summary>
    public static Dictionary<string, byte[]>? Parse(ReadOnlySpan<byte> data)
    {
        var table = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var at = 0;
        while (at < data.Length)
        {
            if (data.Length - at < 4) return null;
            var nameLength = BinaryPrimitives.ReadInt32LittleEndian(data[at..]);
            at += 4;
            if (nameLength <= 0 || nameLength > data.Length - at - 4) return null;
            var name = Encoding.UTF8.GetString(data.Slice(at, nameLength));
            at += nameLength;
            var jsonLength = BinaryPrimitives.ReadInt32LittleEndian(data[at..]);
            at += 4;
            if (jsonLength <= 0 || jsonLength > data.Length - at) return null;
            table[name] = data.Slice(at, jsonLength).ToArray();
            at += jsonLength;
        }
        return table.Count > 0 ? table : null;
    }

    /// <summary>One tool's JSON as tools/list writes it.</summary>
    public static byte[] Serialize(McpTool tool)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, EnvelopeJson.WriterOptions(false))) tool.ToJson().WriteTo(w);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The table of every built-in tool (the first of a name, as the catalog offers it), with its trailer.</summary>
    public static byte[] Build(HandleRegistry registry)
    {
        using var data = new MemoryStream();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Span<byte> n = stackalloc byte[4];
        foreach (var handle in registry.Visible)
        {
            if (!registry.IsBuiltIn(handle.Scheme)) continue;
            foreach (var verb in handle.Verbs)
            {
                var tool = new McpTool(handle, verb);
                if (!seen.Add(tool.Name)) continue;
                var name = Encoding.UTF8.GetBytes(tool.Name);
                var json = Serialize(tool);
                BinaryPrimitives.WriteInt32LittleEndian(n, name.Length);
                data.Write(n);
                data.Write(name);
                BinaryPrimitives.WriteInt32LittleEndian(n, json.Length);
                data.Write(n);
                data.Write(json);
            }
        }
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, data.Length);
        data.Write(length);
        data.Write(Magic);
        return data.ToArray();
    }
}
