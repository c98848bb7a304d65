using System.Buffers;
using System.Text;
using System.Text.Json;
using Resh.Core.Output;

namespace Resh.Handles.Secret.Keystore;

/// <summary>
/// The keystore's header and body as JSON, read with Utf8JsonReader and written with Utf8JsonWriter.
/// Not System.Text.Json's serializer: building its metadata for these types on first use cost more than
/// the rest of a `secret://NAME.get` (docs/benchmarks.md). Unknown properties are skipped, so a newer
/// build's additions do not break an older one's reads.
/// </summary>
internal static class KeystoreCodec
{
    static JsonWriterOptions Options => new() { Encoder = MinimalJsonEncoder.Instance };

    public static string WriteHeader(KeystoreHeader h) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("kdf", h.Kdf);
        if (h.Salt is not null) w.WriteString("salt", h.Salt);
        if (h.MemoryKib is { } m) w.WriteNumber("memory_kib", m);
        if (h.Iterations is { } t) w.WriteNumber("iterations", t);
        if (h.Parallelism is { } p) w.WriteNumber("parallelism", p);
        w.WriteString("key_id", h.KeyId);
        w.WriteString("wrapped_key", h.WrappedKey);
        w.WriteString("created", h.Created);
        w.WriteEndObject();
    });

    public static string WriteBody(KeystoreBody body) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("generation", body.Generation);
        w.WriteStartArray("entries");
        foreach (var e in body.Entries)
        {
            w.WriteStartObject();
            w.WriteString("name", e.Name);
            w.WriteString("created", e.Created);
            w.WriteString("updated", e.Updated);
            w.WriteNumber("current", e.Current);
            w.WriteStartObject("tags");
            foreach (var (k, v) in e.Tags.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
            if (e.Generator is { } g)
            {
                w.WriteStartObject("generator");
                if (g.Charset is not null) w.WriteString("charset", g.Charset);
                if (g.Length is { } len) w.WriteNumber("length", len);
                if (g.Bytes is { } n) w.WriteNumber("bytes", n);
                w.WriteEndObject();
            }
            w.WriteStartArray("versions");
            foreach (var v in e.Versions)
            {
                w.WriteStartObject();
                w.WriteNumber("version", v.Version);
                w.WriteString("created", v.Created);
                w.WriteString("sealed", v.Sealed);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, Options)) write(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Throws <see cref="JsonException"/> on anything that is not a header.</summary>
    public static KeystoreHeader ReadHeader(string json)
    {
        var r = Reader(json);
        var h = new KeystoreHeader();
        Expect(ref r, JsonTokenType.StartObject);
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var name = r.GetString();
            r.Read();
            switch (name)
            {
                case "kdf": h.Kdf = Str(ref r); break;
                case "salt": h.Salt = Str(ref r); break;
                case "memory_kib": h.MemoryKib = Int(ref r); break;
                case "iterations": h.Iterations = Int(ref r); break;
                case "parallelism": h.Parallelism = Int(ref r); break;
                case "key_id": h.KeyId = Str(ref r); break;
                case "wrapped_key": h.WrappedKey = Str(ref r); break;
                case "created": h.Created = Str(ref r); break;
                default: r.Skip(); break;
            }
        }
        End(ref r);
        return h;
    }

    public static KeystoreBody ReadBody(string json)
    {
        var r = Reader(json);
        var body = new KeystoreBody();
        Expect(ref r, JsonTokenType.StartObject);
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var name = r.GetString();
            r.Read();
            if (name == "generation")
            {
                body.Generation = r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var g) && g >= 0 ? g : throw new JsonException("expected a generation");
                continue;
            }
            if (name != "entries") { r.Skip(); continue; }
            Is(ref r, JsonTokenType.StartArray);
            while (Next(ref r) == JsonTokenType.StartObject) body.Entries.Add(ReadEntry(ref r));
            Is(ref r, JsonTokenType.EndArray);
        }
        End(ref r);
        return body;
    }

    static KeystoreEntry ReadEntry(ref Utf8JsonReader r)
    {
        var e = new KeystoreEntry();
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var name = r.GetString();
            r.Read();
            switch (name)
            {
                case "name": e.Name = Str(ref r); break;
                case "created": e.Created = Str(ref r); break;
                case "updated": e.Updated = Str(ref r); break;
                case "current": e.Current = Int(ref r); break;
                case "tags":
                    Is(ref r, JsonTokenType.StartObject);
                    while (Next(ref r) == JsonTokenType.PropertyName)
                    {
                        var key = r.GetString()!;
                        r.Read();
                        e.Tags[key] = Str(ref r);
                    }
                    break;
                case "generator":
                    Is(ref r, JsonTokenType.StartObject);
                    var g = new GeneratorSpec();
                    while (Next(ref r) == JsonTokenType.PropertyName)
                    {
                        var key = r.GetString();
                        r.Read();
                        switch (key)
                        {
                            case "charset": g.Charset = Str(ref r); break;
                            case "length": g.Length = Int(ref r); break;
                            case "bytes": g.Bytes = Int(ref r); break;
                            default: r.Skip(); break;
                        }
                    }
                    e.Generator = g;
                    break;
                case "versions":
                    Is(ref r, JsonTokenType.StartArray);
                    while (Next(ref r) == JsonTokenType.StartObject)
                    {
                        var v = new KeystoreVersion();
                        while (Next(ref r) == JsonTokenType.PropertyName)
                        {
                            var key = r.GetString();
                            r.Read();
                            switch (key)
                            {
                                case "version": v.Version = Int(ref r); break;
                                case "created": v.Created = Str(ref r); break;
                                case "sealed": v.Sealed = Str(ref r); break;
                                default: r.Skip(); break;
                            }
                        }
                        e.Versions.Add(v);
                    }
                    break;
                default: r.Skip(); break;
            }
        }
        return e;
    }

    static Utf8JsonReader Reader(string json) => new(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = 16 });

    static JsonTokenType Next(ref Utf8JsonReader r) => r.Read() ? r.TokenType : throw new JsonException("unexpected end");

    static void Expect(ref Utf8JsonReader r, JsonTokenType type)
    {
        if (Next(ref r) != type) throw new JsonException($"expected {type}");
    }

    static void Is(ref Utf8JsonReader r, JsonTokenType type)
    {
        if (r.TokenType != type) throw new JsonException($"expected {type}");
    }

    static void End(ref Utf8JsonReader r)
    {
        Is(ref r, JsonTokenType.EndObject);
        if (r.Read()) throw new JsonException("trailing data");
    }

    static string Str(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.String ? r.GetString()! : throw new JsonException("expected a string");

    static int Int(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var n) ? n : throw new JsonException("expected an integer");
}
