using Resh.Core.Secrets;

namespace Resh.Handles.Secret.Backends;

/// <summary>What every backend can tell about one secret, never its value.</summary>
internal sealed record SecretMetadata(string Name, int? Version, int Versions, string? Created, string? Updated, IReadOnlyDictionary<string, string> Tags);

internal sealed record SecretVersionMetadata(int Version, string? Created, bool Current);

/// <summary>A place secrets are read from: the local keystore, the environment, a directory of files, a password store.</summary>
internal interface ISecretBackend
{
    string Name { get; }
    /// <summary>Only the local keystore can be written.</summary>
    bool Writable { get; }
    SecretMetadata? Describe(string name);
    IReadOnlyList<SecretMetadata> List(string prefix);
    /// <summary>The value (current version unless <paramref name="version"/>), or null when the name or version does not exist.</summary>
    (SecretValue Value, int? Version)? Read(string name, int? version, CancellationToken cancellation);
    IReadOnlyList<SecretVersionMetadata> Versions(string name);
}
