using Resh.Core.Execution;

namespace Resh.Core.Secrets;

/// <summary>Reads <c>secret:NAME</c> references: implemented by the secret:// handle, registered at start.</summary>
public interface ISecretStore
{
    /// <summary>The current value of a secret, or null when the store has no such name. Other failures throw a ReshException.</summary>
    SecretValue? Read(string name, ReshRuntime runtime, CancellationToken cancellation);
}

/// <summary>
/// The store behind <c>secret:NAME</c>. The core cannot reference handles, so the program registers the
/// secret:// handle's store here (one line in HandleCatalog); building it is deferred to the first reference.
/// </summary>
public static class SecretStore
{
    public static Func<ISecretStore>? Provider { get; set; }
}
