using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis;

namespace Resh.Generators;

/// <summary>
/// Generates, for every type listed with <c>[JsonSerializable]</c> on a <c>JsonSerializerContext</c> of
/// the assembly, a straight-line JSON writer that needs no serializer metadata at run time, and
/// registers them with <c>Resh.Core.Output.ResultWriters</c>.
/// </summary>
/// <remarks>
/// System.Text.Json creates a type's metadata on first use (a converter per type, attribute lookups
/// through the reflection runtime): about a sixth of a 3 ms resh call that answers with JSON. These
/// writers produce the same JSON for the shapes results use (records of strings, numbers, booleans,
/// nullables, lists, string-keyed dictionaries, JSON nodes and nested records, under the context's
/// naming policy). A type with anything else (converters, polymorphism, enums, ignore conditions,
/// inheritance, other options) gets no writer and keeps going through System.Text.Json; a test
/// compares both writers on every verb's result type.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class ResultWriterGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context) =>
        context.RegisterSourceOutput(context.CompilationProvider, static (spc, compilation) =>
        {
            var source = new ResultWriterEmitter(compilation).Emit();
            if (source is not null) spc.AddSource("ResultWriters.g.cs", source);
        });
}
