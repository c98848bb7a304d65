using Resh.Core.Model;

namespace Resh.Core.Execution;

/// <summary>A verb's arguments after typing and validation: declared defaults fill what was not given.</summary>
public sealed class BoundArgs
{
    readonly Dictionary<ArgInfo, object?> _given = new(ReferenceEqualityComparer.Instance);

    internal void Set(ArgInfo arg, object? value) => _given[arg] = value;

    public bool IsSet(ArgInfo arg) => _given.ContainsKey(arg);

    public T Get<T>(Arg<T> arg) => _given.TryGetValue(arg, out var v) ? (T)v! : arg.Default;

    public IEnumerable<KeyValuePair<ArgInfo, object?>> Given => _given;
}
