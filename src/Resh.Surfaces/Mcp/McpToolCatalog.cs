using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Output;
using Resh.Core.Registry;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// The tools of this server: one per verb of every visible handle that the policy lists, in scheme order.
/// Derived from the registry alone, on first use; each page's JSON is made once and kept for the session. A built-in
/// tool's JSON comes from the table in the binary (<see cref="McpToolTable"/>), so a cold list costs a copy; the
/// state-dir cache of pages that came before the table was removed (s41 review: it saved nothing then, and was a file
/// to trust). Plugins' tools build their JSON from their declarations.
/// </summary>
public sealed class McpToolCatalog(HandleRegistry registry, McpPolicy policy, Action<string>? log = null)
{
    /// <summary>Tools per tools/list page.</summary>
    public const int PageSize = 100;

    readonly Lock _lock = new();
    List<McpTool>? _listed;
    Dictionary<string, McpTool>? _byName;
    readonly Dictionary<int, byte[]> _pages = [];

    void Build()
    {
        if (_byName is not null) return;
        var listed = new List<McpTool>();
        var byName = new Dictionary<string, McpTool>(StringComparer.Ordinal);
        foreach (var handle in registry.Visible)
        {
            foreach (var verb in handle.Verbs)
            {
                var tool = new McpTool(handle, verb);
                if (!byName.TryAdd(tool.Name, tool))
                {
                    log?.Invoke($"mcp: {verb.FullName} is not offered: its tool name {tool.Name} is taken by {byName[tool.Name].Verb.FullName}");
                    continue;
                }
                if (policy.Lists(verb)) listed.Add(tool);
            }
        }
        _listed = listed;
        _byName = byName;
    }

    /// <summary>The tool of this name, listed or not (a call of an unlisted one is refused by the policy with an envelope).</summary>
    public McpTool? Find(string name)
    {
        lock (_lock)
        {
            Build();
            return _byName!.GetValueOrDefault(name);
        }
    }

    public IReadOnlyList<McpTool> Listed
    {
        get { lock (_lock) { Build(); return _listed!; } }
    }

    /// <summary>The `result` of tools/list for a cursor (null: the first page), as JSON bytes.</summary>
    public byte[] Page(string? cursor)
    {
        var offset = cursor is null ? 0 : DecodeCursor(cursor);
        lock (_lock)
        {
            if (_pages.TryGetValue(offset, out var cached)) return cached;
            return BuildPage(offset);
        }
    }

    /// <summary>Builds (and keeps) the page at an offset; the lock is held.</summary>
    byte[] BuildPage(int offset)
    {
        Build();
        if (offset > _listed!.Count) throw new JsonRpcException(JsonRpcCodes.InvalidParams, "Invalid cursor: it is not one this server gave.");
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using (var w = new Utf8JsonWriter(buffer, EnvelopeJson.WriterOptions(false)))
        {
            w.WriteStartObject();
            w.WriteStartArray("tools");
            var end = Math.Min(offset + PageSize, _listed.Count);
            for (int i = offset; i < end; i++)
            {
                // A built-in tool's JSON was made when the binary was built (McpToolTable): copied as is unless the policy trims it.
                var tool = _listed[i];
                var made = McpToolTable.Find(registry, tool);
                if (made is not null && !McpReadOnlyRules.Trims(policy, tool)) w.WriteRawValue(made, skipInputValidation: true);
                else McpReadOnlyRules.Trim(policy, tool, made is null ? tool.ToJson() : JsonNode.Parse(made)!.AsObject()).WriteTo(w);
            }
            w.WriteEndArray();
            if (end < _listed.Count) w.WriteString("nextCursor", EncodeCursor(end));
            w.WriteEndObject();
        }
        return _pages[offset] = buffer.WrittenSpan.ToArray();
    }

    /// <summary>Cursors are opaque to clients: the offset, base64 of `tools:N`.</summary>
    static string EncodeCursor(int offset) => Convert.ToBase64String(Encoding.ASCII.GetBytes($"tools:{offset}"));

    static int DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(cursor));
            if (text.StartsWith("tools:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(6), out var n) && n >= 0) return n;
        }
        catch (FormatException) { }
        throw new JsonRpcException(JsonRpcCodes.InvalidParams, "Invalid cursor: it is not one this server gave.");
    }
}
