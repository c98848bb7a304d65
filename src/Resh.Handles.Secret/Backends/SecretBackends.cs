using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Secrets;

namespace Resh.Handles.Secret.Backends;

/// <summary>Picks a backend: the `backend=` argument, else <c>[secret] backend</c> in the config, else local.</summary>
internal static class SecretBackends
{
    public static readonly string[] Names = ["local", "env", "file", "pass"];

    public static ISecretBackend For(ReshRuntime runtime, string? backend, string? dir)
    {
        backend ??= SecretConfig.Text(runtime, "backend") ?? "local";
        return backend switch
        {
            "local" => new LocalBackend(runtime),
            "env" => new EnvBackend(),
            "file" => new FileBackend(SecretConfig.ExpandHome(dir ?? SecretConfig.Text(runtime, "dir") ?? "/run/secrets", runtime)),
            "pass" => new PassBackend(SecretConfig.ExpandHome(dir ?? SecretConfig.Text(runtime, "store")
                ?? (Environment.GetEnvironmentVariable("PASSWORD_STORE_DIR") is { Length: > 0 } p ? p : "~/.password-store"), runtime)),
            _ => throw ReshError.Usage($"Unknown secret backend `{backend}`.", $"One of: {string.Join(", ", Names)} (set in [secret] backend or backend=).").ToException(),
        };
    }

    /// <summary>What the core calls for <c>secret:NAME</c> and <c>secret:BACKEND:NAME</c> references (registered in HandleCatalog).</summary>
    public static ISecretStore ReferenceStore() => new Store();

    sealed class Store : ISecretStore
    {
        public SecretValue? Read(string name, ReshRuntime runtime, CancellationToken cancellation)
        {
            var colon = name.IndexOf(':');
            var backend = For(runtime, colon < 0 ? null : name[..colon], null);
            return backend.Read(colon < 0 ? name : name[(colon + 1)..], null, cancellation)?.Value;
        }
    }
}
