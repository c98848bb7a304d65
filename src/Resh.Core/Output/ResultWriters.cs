using System.Text.Json;

namespace Resh.Core.Output;

/// <summary>
/// Writers of result types that need no serializer metadata at run time, generated at build time by
/// <c>Resh.Generators.ResultWriterGenerator</c> for every type a <c>JsonSerializerContext</c> lists.
/// Each assembly registers one lookup when it is loaded; a type without a writer is written by
/// System.Text.Json from its source-generated metadata, with the same JSON.
/// </summary>
public static class ResultWriters
{
    static Func<RuntimeTypeHandle, Action<Utf8JsonWriter, object>?>[] s_resolvers = [];

    /// <summary>Called by the generated module initializer of each assembly.</summary>
    public static void AddResolver(Func<RuntimeTypeHandle, Action<Utf8JsonWriter, object>?> resolver)
    {
        lock (typeof(ResultWriters)) s_resolvers = [.. s_resolvers, resolver];
    }

    /// <summary>The generated writer for a declared result type, or null.</summary>
    public static Action<Utf8JsonWriter, object>? Find(RuntimeTypeHandle declaredType)
    {
        foreach (var resolve in s_resolvers)
            if (resolve(declaredType) is { } writer) return writer;
        return null;
    }
}
