using System.Collections;
using Resh.Core.Secrets;

namespace Resh.Handles.Secret.Backends;

/// <summary>
/// Read-only: environment variables of the resh process. A name is the variable itself (DB_PASSWORD) or
/// a path-like name mapped to one: upper-cased, with / . - @ + as _ (db/app is DB_APP).
/// </summary>
internal sealed class EnvBackend : ISecretBackend
{
    public string Name => "env";
    public bool Writable => false;

    public static string Variable(string name)
    {
        var chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            chars[i] = char.IsAsciiLetterOrDigit(chars[i]) || chars[i] == '_' ? char.ToUpperInvariant(chars[i]) : '_';
        return new string(chars);
    }

    static string? Get(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } exact ? exact
        : Environment.GetEnvironmentVariable(Variable(name)) is { Length: > 0 } mapped ? mapped : null;

    public SecretMetadata? Describe(string name) => Get(name) is null ? null : new SecretMetadata(name, null, 1, null, null, new Dictionary<string, string>());

    public IReadOnlyList<SecretMetadata> List(string prefix)
    {
        var names = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var key = (string)e.Key;
            if (e.Value is string { Length: > 0 } && SecretNames.IsValid(key) && (key.StartsWith(prefix, StringComparison.Ordinal) || key.StartsWith(Variable(prefix), StringComparison.Ordinal)))
                names.Add(key);
        }
        names.Sort(StringComparer.Ordinal);
        return names.Select(n => new SecretMetadata(n, null, 1, null, null, new Dictionary<string, string>())).ToList();
    }

    public (SecretValue Value, int? Version)? Read(string name, int? version, CancellationToken cancellation) =>
        version is null or 1 && Get(name) is { } v ? (SecretValue.FromText(v), null) : null;

    public IReadOnlyList<SecretVersionMetadata> Versions(string name) => Get(name) is null ? [] : [new SecretVersionMetadata(1, null, true)];
}
