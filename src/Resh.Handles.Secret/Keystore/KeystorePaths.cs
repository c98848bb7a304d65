using Resh.Core.Execution;

namespace Resh.Handles.Secret.Keystore;

/// <summary>Where the local backend keeps its files (SPEC §7): the state directory's <c>secrets/</c>, 0700.</summary>
internal sealed record KeystorePaths(string Directory, string Keystore, string KeyFile, string Lock)
{
    public const string KeyFileVariable = "RESH_SECRET_KEY_FILE";
    public const string PassphraseVariable = "RESH_SECRET_PASSPHRASE";

    public static KeystorePaths For(ReshRuntime runtime)
    {
        var dir = Path.Combine(runtime.Paths.StateDir, "secrets");
        var keyFile = Environment.GetEnvironmentVariable(KeyFileVariable) is { Length: > 0 } k ? k
            : SecretConfig.Text(runtime, "key_file") is { } c ? SecretConfig.ExpandHome(c, runtime)
            : Path.Combine(dir, "local.key");
        return new KeystorePaths(dir, Path.Combine(dir, "local.keystore"), keyFile, Path.Combine(dir, "local.lock"));
    }
}
