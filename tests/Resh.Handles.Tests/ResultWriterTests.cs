using System.Buffers;
using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Meta;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Registry;
using Xunit;
using Xunit.Abstractions;

namespace Resh.Handles.Tests;

/// <summary>
/// Envelopes write results with writers generated at build time (src/Resh.Generators); table, YAML and
/// schema use System.Text.Json's metadata. For every verb's result type both must give the same JSON,
/// on values with every field filled (strings needing escapes, nested records, lists, dictionaries,
/// JSON nodes) and on values with every field at its default (nulls).
/// </summary>
public sealed class ResultWriterTests(ITestOutputHelper output)
{
    static HandleRegistry Registry()
    {
        var r = new HandleRegistry();
        r.Add("file", global::Resh.Handles.Files.FileHandle.Create);
        r.Add("system", global::Resh.Handles.Sys.SystemHandle.Create);
        r.Add("archive", global::Resh.Handles.Archive.ArchiveHandle.Create);
        r.Add("snapshot", global::Resh.Handles.Snapshot.SnapshotHandle.Create);
        r.Add("fs", global::Resh.Handles.Fs.FsHandle.Create);
        r.Add("ssh", () => global::Resh.Handles.Ssh.SshHandle.Create(r));
        r.Add("proc", global::Resh.Handles.Proc.ProcHandle.Create);
        r.Add("svc", global::Resh.Handles.Svc.SvcHandle.Create);
        r.Add("cron", global::Resh.Handles.Cron.CronHandle.Create);
        r.Add("backup", global::Resh.Handles.Backup.BackupHandle.Create);
        r.Add("secret", global::Resh.Handles.Secret.SecretHandle.Create);
        r.Add("template", global::Resh.Handles.Template.TemplateHandle.Create);
        r.Add(HandleRegistry.MetaScheme, () => MetaHandle.Create(r, new BuildInfo("0.0.0", "test")));
        return r;
    }

    static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EnvelopeJson.WriterOptions(indented: false))) write(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A value of <paramref name="type"/> with every field set, built by reflection (test code only).</summary>
    static object? Sample(Type type, int depth, ref int counter)
    {
        counter++;
        if (type == typeof(string)) return $"s{counter} \"ü\\\n😀";
        if (type == typeof(bool)) return counter % 2 == 0;
        if (type == typeof(int)) return -counter;
        if (type == typeof(long)) return 1L << 40 | (uint)counter;
        if (type == typeof(ulong)) return ulong.MaxValue - (ulong)counter;
        if (type == typeof(uint)) return (uint)counter;
        if (type == typeof(short)) return (short)counter;
        if (type == typeof(byte)) return (byte)counter;
        if (type == typeof(double)) return counter + 0.25;
        if (type == typeof(float)) return counter + 0.5f;
        if (type == typeof(decimal)) return counter + 0.125m;
        if (type.IsEnum) return Enum.GetValues(type).GetValue(0);
        if (Nullable.GetUnderlyingType(type) is { } inner) return counter % 3 == 0 ? null : Sample(inner, depth, ref counter);
        if (typeof(JsonNode).IsAssignableFrom(type))
        {
            if (type == typeof(JsonArray)) return new JsonArray(1, "a\"b");
            if (type == typeof(JsonValue)) return JsonValue.Create("v");
            return new JsonObject { ["n"] = counter, ["s"] = "x\u2028y", ["a"] = new JsonArray(true, null) };
        }
        if (depth > 4) return null;
        if (type.IsArray)
        {
            var items = Array.CreateInstance(type.GetElementType()!, 2);
            for (int i = 0; i < 2; i++) items.SetValue(Sample(type.GetElementType()!, depth + 1, ref counter), i);
            return items;
        }
        if (type.IsGenericType)
        {
            var args = type.GetGenericArguments();
            if (args.Length == 1 && typeof(IEnumerable).IsAssignableFrom(type))
            {
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(args[0]))!;
                for (int i = 0; i < 2; i++) list.Add(Sample(args[0], depth + 1, ref counter));
                return list;
            }
            if (args.Length == 2 && args[0] == typeof(string))
            {
                var dict = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(args))!;
                for (int i = 0; i < 2; i++) dict[$"k{i} ü"] = Sample(args[1], depth + 1, ref counter);
                return dict;
            }
        }
        if (type.IsClass && !type.IsAbstract)
        {
            var obj = RuntimeHelpers.GetUninitializedObject(type);
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                field.SetValue(obj, Sample(field.FieldType, depth + 1, ref counter));
            return obj;
        }
        return null;
    }

    [Fact]
    public void Generated_writers_write_what_the_serializer_writes_for_every_result_type()
    {
        var registry = Registry();
        var withWriter = new List<string>();
        var without = new List<string>();
        foreach (var handle in registry.All)
        {
            foreach (var verb in handle.Verbs)
            {
                var info = verb.ResultType;
                var name = $"{handle.Scheme}.{verb.Name} ({info.Type.Name})";
                if (ResultWriters.Find(info.Type.TypeHandle) is not { } write) { without.Add(name); continue; }
                withWriter.Add(name);

                int counter = 0;
                var full = Sample(info.Type, 0, ref counter)!;
                Assert.Equal(Json(w => JsonSerializer.Serialize(w, full, info)), Json(w => write(w, full)));

                var empty = RuntimeHelpers.GetUninitializedObject(info.Type);
                Assert.Equal(Json(w => JsonSerializer.Serialize(w, empty, info)), Json(w => write(w, empty)));
            }
        }
        output.WriteLine($"{withWriter.Count} verbs with generated writers; without: {string.Join(", ", without)}");
        // The hot paths measured in bench/ must not fall back to the serializer's metadata.
        Assert.Contains("system.memory (MemoryResult)", withWriter);
        Assert.Contains("file.stat (FileStatResult)", withWriter);
        Assert.Contains("resh.version (VersionResult)", withWriter);
        Assert.True(withWriter.Count >= 100, $"only {withWriter.Count} verbs have writers; without: {string.Join(", ", without)}");
    }

    [Fact]
    public void A_writer_is_found_by_the_declared_type_only()
    {
        Assert.Null(ResultWriters.Find(typeof(string).TypeHandle));
        Assert.Null(ResultWriters.Find(typeof(JsonObject).TypeHandle));
    }
}
