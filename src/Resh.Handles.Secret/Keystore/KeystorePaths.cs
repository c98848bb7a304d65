using Resh.Core.Execution;

namespace Resh.Handles.Secret.Keystore;

/// <summary>Where the local backend keeps its files (SPEC §7): the state directory's <c>secrets/</c>, 0700.</summary>
/// <param name="KeyFileNamed">The key file was named by RESH_SECRET_KEY_FILE or [secret] key_file (it may be a link).</param>
internal sealed record KeystorePaths(string Directory, string Keystore, string KeyFile, string Lock, bool KeyFileNamed)
{
    /// <summary>The last generation saved (<see cref="KeystoreGeneration"/>): an older keystore put back is detected.</summary>
    public string GenerationFile => Path.Combine(Directory, "local.generation");

    public const string KeyFileVariable = "RESH_SECRET_KEY_FILE";
    public const string PassphraseVariable = "RESH_SECRET_PASSPHRASE";

    public static KeystorePaths For(ReshRuntime runtime)
    {
        var dir = Path.Combine(runtime.Paths.StateDir, "secrets");
        var named = Environment.GetEnvironmentVariable(KeyFileVariable) is { Length: > 0 } k ? k
            : SecretConfig.Text(runtime, "key_file") is { } c ? SecretConfig.ExpandHome(c, runtime)
            : null;
        return new KeystorePaths(dir, Path.Combine(dir, "local.keystore"), named ?? Path.Combine(dir, "local.key"), Path.Combine(dir, "local.lock"), named is not null);
    }
}
