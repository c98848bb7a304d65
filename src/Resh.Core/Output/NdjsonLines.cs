using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Core.Output;

/// <summary>
/// SPEC §4 ndjson: the result's items one JSON object per line, then one line with the envelope whose
/// <c>result</c> is reduced to a summary. The items are the result's list: the first field holding
/// records (a result that is itself a list counts too); records with `children` (a tree) are
/// flattened depth-first with a <c>depth</c> field. The summary keeps the result's other fields and
/// adds <c>count</c> (the number of item lines) unless the result has one. A result without a list
/// prints the envelope alone, as json does.
/// </summary>
/// <remarks>
/// The envelope's JSON is read back token by token while it is being written (<see cref="JsonTokenStream"/>),
/// so each item is printed as soon as its last byte is known and a listing of millions of entries needs
/// the memory of one item. Items are copied byte for byte from the compact envelope. Since the lines go
/// out as they come, the list is told by its first element: the first field whose array starts with a
/// record (a result's lists hold one record type), else the first empty array; and a tree by its first
/// record having `children`.
/// </remarks>
public static class NdjsonLines
{
    /// <param name="envelopeJson">The whole envelope, compact, as the json format prints it.</param>
    /// <param name="itemsAlreadyStreamed">Items went out as events while the verb ran (a fleet's host envelopes): print only the summary.</param>
    /// <param name="notItems">Result fields that are never the list (<see cref="Model.NotItemsAttribute"/>).</param>
    public static void Write(Stream stdout, ReadOnlySpan<byte> envelopeJson, bool itemsAlreadyStreamed, IReadOnlySet<string>? notItems = null)
    {
        var sink = Streaming(stdout, itemsAlreadyStreamed, notItems: notItems);
        sink.Write(envelopeJson);
        sink.Complete();
    }

    /// <summary>The result fields marked <see cref="Model.NotItemsAttribute"/> (null when none: nearly every result).</summary>
    public static IReadOnlySet<string>? NotItemsOf(System.Text.Json.Serialization.Metadata.JsonTypeInfo? type)
    {
        if (type is null || type.Kind != System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object) return null;
        HashSet<string>? names = null;
        foreach (var p in type.Properties)
            if (p.AttributeProvider?.IsDefined(typeof(Model.NotItemsAttribute), false) == true) (names ??= new(StringComparer.Ordinal)).Add(p.Name);
        return names;
    }

    /// <summary>A sink for the compact envelope JSON that prints the ndjson lines as the JSON arrives; call <see cref="JsonTokenStream.Complete"/> at the end.</summary>
    internal static JsonTokenStream Streaming(Stream stdout, bool itemsAlreadyStreamed, int scanEvery = 1 << 16, IReadOnlySet<string>? notItems = null)
    {
        var splitter = new Splitter(stdout, itemsAlreadyStreamed) { NotItems = notItems };
        return splitter.Source = new JsonTokenStream(splitter, scanEvery);
    }

    /// <summary>The list of a result: itself when it is an array, else its first field holding records (a non-empty one first).</summary>
    public static bool TryFindList(JsonNode? result, out string? key, out JsonArray items)
    {
        key = null;
        items = null!;
        if (result is JsonArray direct && direct.All(x => x is JsonObject)) { items = direct; return true; }
        if (result is not JsonObject obj) return false;
        string? emptyKey = null;
        foreach (var (k, v) in obj)
        {
            if (v is not JsonArray a) continue;
            if (a.Count == 0) { emptyKey ??= k; continue; }
            if (a.All(x => x is JsonObject)) { key = k; items = a; return true; }
        }
        if (emptyKey is null) return false;
        key = emptyKey;
        items = (JsonArray)obj[emptyKey]!;
        return true;
    }

    /// <summary>A tree's records depth-first, without `children`, each with its <c>depth</c>.</summary>
    static IEnumerable<JsonObject> Flatten(JsonObject root)
    {
        var stack = new Stack<(JsonObject Node, int Depth)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            var flat = new JsonObject();
            foreach (var (k, v) in node) if (k != "children") flat[k] = v?.DeepClone();
            flat["depth"] = depth;
            yield return flat;
            if (node["children"] is JsonArray kids && depth < 4096)
                for (int i = kids.Count - 1; i >= 0; i--) if (kids[i] is JsonObject c) stack.Push((c, depth + 1));
        }
    }

    /// <summary>
    /// Reads the envelope's tokens: the envelope's own fields and the result's other fields are kept as
    /// their bytes (small), the list's items are printed one by one. Depths are the reader's: the envelope's
    /// fields are at 1, the result's at 2, the items of a result that is a list at 2, of a result's list at 3.
    /// </summary>
    sealed class Splitter(Stream stdout, bool itemsAlreadyStreamed) : IJsonTokenVisitor
    {
        static readonly JsonDocumentOptions DeepTrees = new() { MaxDepth = 1024 };

        public JsonTokenStream Source = null!;
        public IReadOnlySet<string>? NotItems;
        readonly ArrayBufferWriter<byte> _lines = new(1 << 16);
        readonly List<byte[]> _envelope = [];                               // the envelope's fields but the result, as "name":value
        readonly List<(string Name, byte[] Json)> _summary = [];            // the result's fields but the list
        int _resultAt = -1;                                                 // where the result goes among _envelope
        bool _resultIsObject, _inResult, _resultNext;
        long _memberStart = -1;                                             // the field being read (envelope's or result's)
        string? _memberName;
        int _candidate;                                                     // depth of an array that may be the list, until its first element is seen
        int _listDepth = -1;                                                // depth of the list's array while inside it
        bool _listFound;
        string? _listKey, _emptyKey;
        long _itemStart;
        bool _itemChildren, _childrenNext;
        bool? _tree;
        long _count;

        public void Token(ref Utf8JsonReader reader, long start, long end)
        {
            var type = reader.TokenType;
            var depth = reader.CurrentDepth;

            if (_candidate > 0)
            {
                // The first token in an array that may be the list decides.
                if (type == JsonTokenType.StartObject || (type == JsonTokenType.EndArray && _candidate == 1))
                {
                    _listFound = true;
                    _listKey = _candidate == 1 ? null : _memberName;
                    _listDepth = _candidate;
                    if (_candidate == 1) _resultAt = _envelope.Count;
                    Source.Unpin();
                    _memberStart = -1;
                }
                else if (type == JsonTokenType.EndArray) _emptyKey ??= _memberName;
                _candidate = 0;
            }

            if (_listDepth >= 0)
            {
                Item(ref reader, type, depth, start, end);
                return;
            }

            switch (depth)
            {
                case 0:
                    return;
                case 1 when type == JsonTokenType.PropertyName:
                    BeginMember(ref reader, start);
                    _resultNext = reader.ValueTextEquals("result"u8);
                    return;
                case 1 when _resultNext:
                    _resultNext = false;
                    if (type == JsonTokenType.StartObject)
                    {
                        _resultIsObject = _inResult = true;
                        _resultAt = _envelope.Count;
                        Source.Unpin();
                        _memberStart = -1;
                    }
                    else if (type == JsonTokenType.StartArray) _candidate = 1;
                    else EndMember(end, toEnvelope: true);
                    return;
                case 1 when type is JsonTokenType.EndObject && _inResult:
                    _inResult = false; // the end of the result object
                    return;
                case 1 when type is not (JsonTokenType.StartObject or JsonTokenType.StartArray):
                    EndMember(end, toEnvelope: true);
                    return;
                case 2 when _inResult && type == JsonTokenType.PropertyName:
                    BeginMember(ref reader, start);
                    return;
                case 2 when _inResult && type == JsonTokenType.StartArray && !_listFound && NotItems?.Contains(_memberName!) != true:
                    _candidate = 2;
                    return;
                case 2 when _inResult && type is not (JsonTokenType.StartObject or JsonTokenType.StartArray):
                    EndMember(end, toEnvelope: false);
                    return;
            }
        }

        void BeginMember(ref Utf8JsonReader reader, long start)
        {
            _memberStart = start;
            _memberName = reader.GetString();
            Source.Pin(start);
        }

        void EndMember(long end, bool toEnvelope)
        {
            var json = Source.Slice(_memberStart, end).ToArray();
            if (toEnvelope) _envelope.Add(json);
            else _summary.Add((_memberName!, json));
            Source.Unpin();
            _memberStart = -1;
        }

        void Item(ref Utf8JsonReader reader, JsonTokenType type, int depth, long start, long end)
        {
            var itemDepth = _listDepth + 1;
            if (depth == _listDepth && type == JsonTokenType.EndArray)
            {
                _listDepth = -1;
                return;
            }
            if (depth == itemDepth)
            {
                switch (type)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        _itemStart = start;
                        _itemChildren = false;
                        Source.Pin(start);
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        Emit(Source.Slice(_itemStart, end), _itemChildren);
                        Source.Unpin();
                        break;
                    default:
                        Emit(Source.Slice(start, end), false);
                        break;
                }
            }
            else if (depth == itemDepth + 1)
            {
                if (type == JsonTokenType.PropertyName) _childrenNext = reader.ValueTextEquals("children"u8);
                else
                {
                    if (_childrenNext && type == JsonTokenType.StartArray) _itemChildren = true;
                    _childrenNext = false;
                }
            }
        }

        void Emit(ReadOnlySpan<byte> item, bool children)
        {
            _tree ??= children;
            if (_tree == true)
            {
                if (JsonNode.Parse(item, documentOptions: DeepTrees) is not JsonObject root) return;
                using var w = new Utf8JsonWriter(_lines, EnvelopeJson.WriterOptions(false));
                foreach (var flat in Flatten(root))
                {
                    _count++;
                    if (itemsAlreadyStreamed) continue;
                    flat.WriteTo(w);
                    w.Flush();
                    _lines.Write("\n"u8);
                    w.Reset();
                    FlushLines(1 << 16);
                }
                return;
            }
            _count++;
            if (itemsAlreadyStreamed) return;
            _lines.Write(item);
            _lines.Write("\n"u8);
            FlushLines(1 << 16);
        }

        void FlushLines(int above)
        {
            if (_lines.WrittenCount < above) return;
            stdout.Write(_lines.WrittenSpan);
            _lines.Clear();
        }

        public void Complete()
        {
            FlushLines(0);
            if (!_listFound && _emptyKey is not null)
            {
                _listFound = true;
                _listKey = _emptyKey;
            }

            // The result: without a list, as it came; with one, the summary.
            var result = new ArrayBufferWriter<byte>(256);
            result.Write("\"result\":"u8);
            if (_resultIsObject || _listFound)
            {
                result.Write("{"u8);
                bool first = true, hasCount = false;
                foreach (var (name, json) in _summary)
                {
                    if (_listFound && _listKey is not null && name == _listKey) continue;
                    if (!first) result.Write(","u8);
                    result.Write(json);
                    first = false;
                    hasCount |= name == "count";
                }
                if (_listFound && !hasCount)
                {
                    if (!first) result.Write(","u8);
                    result.Write("\"count\":"u8);
                    result.Write(System.Text.Encoding.UTF8.GetBytes(_count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
                result.Write("}"u8);
            }

            _lines.Write("{"u8);
            for (int i = 0; i <= _envelope.Count; i++)
            {
                if (i == _resultAt)
                {
                    if (i > 0) _lines.Write(","u8);
                    _lines.Write(result.WrittenSpan);
                }
                if (i == _envelope.Count) break;
                if (i > 0 || _resultAt == 0) _lines.Write(","u8);
                _lines.Write(_envelope[i]);
            }
            _lines.Write("}\n"u8);
            FlushLines(0);
        }
    }
}
