using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Secrets;

namespace Resh.Handles.Secret.Keystore;

/// <summary>
/// The key that wraps the keystore's data key: 32 random bytes from a key file (created 0600 on first
/// use, no KDF per call), or Argon2id of a passphrase (RESH_SECRET_PASSPHRASE, or a no-echo prompt on
/// the terminal).
/// </summary>
internal static class KeyEncryptionKey
{
    const string KeyFileHeader = "resh-secret-key v1";
    public const int MemoryKib = 64 * 1024, Iterations = 3, Parallelism = 1;

    /// <summary>True when a new keystore should be protected by a passphrase rather than a key file.</summary>
    public static bool PassphraseWanted => Environment.GetEnvironmentVariable(KeystorePaths.PassphraseVariable) is { Length: > 0 };

    public static byte[] FromKeyFile(string path, bool followLinks)
    {
        if (!PrivateFiles.Exists(path, "key file"))
            throw ReshError.Failed($"The key file {path} is missing, and the keystore cannot be opened without it.",
                $"Restore the key file from a backup, or point {KeystorePaths.KeyFileVariable} at it.").ToException();
        PrivateFiles.CheckFile(path, "key file", followLinks);
        var text = File.ReadAllText(path);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        byte[]? key = null;
        if (lines.Length == 2 && lines[0] == KeyFileHeader)
        {
            try { key = Convert.FromBase64String(lines[1]); } catch (FormatException) { }
        }
        if (key is not { Length: Crypto.KeySize })
            throw ReshError.Failed($"The key file {path} is not a resh key file (or it was damaged).", "Restore it from a backup.").ToException();
        return key;
    }

    /// <summary>Creates a key file 0600 (never overwriting one) and returns its key.</summary>
    public static byte[] CreateKeyFile(string path)
    {
        var key = Crypto.RandomBytes(Crypto.KeySize);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!PrivateFiles.Exists(dir, "key file directory")) PrivateFiles.EnsureDirectory(dir);
        using (var f = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            f.Write(Encoding.ASCII.GetBytes($"{KeyFileHeader}\n{Convert.ToBase64String(key)}\n"));
            f.Flush(flushToDisk: true);
        }
        return key;
    }

    public static byte[] FromPassphrase(ReshRuntime runtime, byte[] salt, int memoryKib, int iterations, int parallelism, bool confirm)
    {
        var passphrase = Passphrase(runtime, confirm);
        runtime.Log($"deriving the keystore key with Argon2id ({memoryKib} KiB, {iterations} passes)");
        return Crypto.Argon2id(passphrase.RevealBytes(), salt, memoryKib, iterations, parallelism);
    }

    static SecretValue Passphrase(ReshRuntime runtime, bool confirm)
    {
        if (Environment.GetEnvironmentVariable(KeystorePaths.PassphraseVariable) is { Length: > 0 } fromEnv)
            return SecretValue.FromText(fromEnv);
        var first = Tty.ReadHidden("resh: keystore passphrase: ")
            ?? throw ReshError.PermissionDenied("The keystore is protected by a passphrase and there is no terminal to ask for it.",
                $"Set {KeystorePaths.PassphraseVariable} (from a secret manager or an agent, not a literal in a script).").ToException();
        if (first.Length == 0) throw ReshError.Usage("The passphrase is empty.", null).ToException();
        if (confirm)
        {
            var again = Tty.ReadHidden("resh: the same passphrase again: ");
            if (again is null || !again.SameAs(first)) throw ReshError.Usage("The two passphrases differ; nothing was created.", "Run the command again.").ToException();
        }
        return first;
    }

    /// <summary>The controlling terminal, for a passphrase prompt that works even when stdin carries a value.</summary>
    static class Tty
    {
        public static SecretValue? ReadHidden(string prompt)
        {
            FileStream tty;
            try { tty = new FileStream("/dev/tty", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
            using (tty)
            {
                var fd = (int)tty.SafeFileHandle.DangerousGetHandle();
                using var writer = new StreamWriter(tty, leaveOpen: true);
                var bytes = TerminalPrompt.ReadHidden(prompt, writer, fd);
                return SecretResolver.FromInput(bytes);
            }
        }
    }
}
