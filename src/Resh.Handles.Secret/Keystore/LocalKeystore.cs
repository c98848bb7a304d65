using System.Globalization;
using System.Text;
using System.Text.Json;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;
using Resh.Core.Secrets;

namespace Resh.Handles.Secret.Keystore;

/// <summary>
/// The local backend's encrypted keystore: one file of four lines,
/// <c>RESH-KEYSTORE 1</c>, a JSON header (how the data key is wrapped), a JSON body (names, versions,
/// times, tags, and each version's value sealed with AES-256-GCM under the data key, its name and
/// version bound as associated data), and an HMAC-SHA256 of the three lines under a key derived from
/// the data key. Any change made outside resh fails the MAC or a value's tag: `failed`, never a
/// silently wrong answer. Written atomically, 0600, under an exclusive lock.
/// </summary>
internal sealed class LocalKeystore
{
    const string Magic = "RESH-KEYSTORE 1";
    static readonly byte[] WrapAad = "resh-keystore-1 data key"u8.ToArray();
    static readonly byte[] KeyIdInput = "resh-keystore-1 key id"u8.ToArray();

    readonly byte[] _dataKey;

    LocalKeystore(KeystorePaths paths, KeystoreHeader header, KeystoreBody body, byte[] dataKey)
    {
        Paths = paths;
        Header = header;
        Body = body;
        _dataKey = dataKey;
    }

    public KeystorePaths Paths { get; }
    public KeystoreHeader Header { get; }
    public KeystoreBody Body { get; }

    /// <summary>Opens the keystore for reading; null when there is none yet (nothing is created by a read).</summary>
    public static LocalKeystore? Open(ReshRuntime runtime, KeystorePaths paths)
    {
        if (!PrivateFiles.Exists(paths.Directory, "secrets directory")) return null;
        PrivateFiles.CheckDirectory(paths.Directory);
        if (!PrivateFiles.Exists(paths.Keystore, "keystore")) return null;
        PrivateFiles.CheckFile(paths.Keystore, "keystore");
        // The recorded generation is read before the keystore: a save writes the keystore first, so a read racing it
        // can see an old generation record with a new keystore, never a new record with an old keystore.
        var recorded = KeystoreGeneration.Read(paths);
        var text = File.ReadAllText(paths.Keystore, new UTF8Encoding(false, false));
        var lines = text.Split('\n');
        if (lines.Length != 5 || lines[4].Length != 0 || lines[0] != Magic)
            throw Damaged(paths, "it is not a resh keystore in a format this build reads");
        KeystoreHeader header;
        try { header = KeystoreCodec.ReadHeader(lines[1]); }
        catch (JsonException) { throw Damaged(paths, "its header is not valid"); }

        var kek = KeyFor(runtime, paths, header, create: false);
        if (!Crypto.FixedTimeEquals(Convert.FromHexString(KeyId(kek)), SafeHex(header.KeyId)))
            throw header.Kdf == "argon2id"
                ? ReshError.PermissionDenied("The passphrase does not open the keystore.", $"Check {KeystorePaths.PassphraseVariable} (or what you typed).").ToException()
                : ReshError.PermissionDenied($"The key file {paths.KeyFile} does not open the keystore {paths.Keystore}.",
                    "Use the key file the keystore was created with.").ToException();
        byte[]? dataKey = null;
        try { dataKey = Crypto.Open(kek, Convert.FromBase64String(header.WrappedKey), WrapAad); }
        catch (FormatException) { }
        Array.Clear(kek);
        if (dataKey is not { Length: Crypto.KeySize }) throw Tampered(paths, "its wrapped data key does not verify");

        var expected = Crypto.Hmac(MacKey(dataKey), Encoding.UTF8.GetBytes($"{lines[0]}\n{lines[1]}\n{lines[2]}\n"));
        byte[] actual;
        try { actual = Convert.FromBase64String(lines[3]); } catch (FormatException) { actual = []; }
        if (!Crypto.FixedTimeEquals(expected, actual)) throw Tampered(paths, "its integrity check (HMAC) does not match");
        KeystoreBody body;
        try { body = KeystoreCodec.ReadBody(lines[2]); }
        catch (JsonException) { throw Tampered(paths, "its body is not valid"); }
        KeystoreGeneration.Check(paths, recorded, KeystoreGeneration.StoreId(lines[1]), body.Generation);
        return new LocalKeystore(paths, header, body, dataKey);
    }

    /// <summary>Opens the keystore for a change, creating it (and its key file) when there is none.</summary>
    public static LocalKeystore OpenOrCreate(ReshRuntime runtime, KeystorePaths paths)
    {
        PrivateFiles.EnsureDirectory(paths.Directory);
        if (Open(runtime, paths) is { } existing) return existing;
        var header = new KeystoreHeader { Created = Now() };
        if (KeyEncryptionKey.PassphraseWanted)
        {
            header.Kdf = "argon2id";
            header.Salt = Convert.ToBase64String(Crypto.RandomBytes(16));
            header.MemoryKib = KeyEncryptionKey.MemoryKib;
            header.Iterations = KeyEncryptionKey.Iterations;
            header.Parallelism = KeyEncryptionKey.Parallelism;
        }
        var kek = KeyFor(runtime, paths, header, create: true);
        var dataKey = Crypto.RandomBytes(Crypto.KeySize);
        header.KeyId = KeyId(kek);
        header.WrappedKey = Convert.ToBase64String(Crypto.Seal(kek, dataKey, WrapAad));
        Array.Clear(kek);
        runtime.Log($"created the keystore {paths.Keystore} ({(header.Kdf == "argon2id" ? "passphrase" : $"key file {paths.KeyFile}")})");
        return new LocalKeystore(paths, header, new KeystoreBody(), dataKey);
    }

    /// <summary>A keystore that exists only in memory, for --dry-run when none exists yet (nothing is created).</summary>
    public static LocalKeystore InMemory(KeystorePaths paths) =>
        new(paths, new KeystoreHeader { Created = Now() }, new KeystoreBody(), Crypto.RandomBytes(Crypto.KeySize));

    static byte[] KeyFor(ReshRuntime runtime, KeystorePaths paths, KeystoreHeader header, bool create)
    {
        if (header.Kdf == "keyfile")
            return create && !PrivateFiles.Exists(paths.KeyFile, "key file") ? KeyEncryptionKey.CreateKeyFile(paths.KeyFile) : KeyEncryptionKey.FromKeyFile(paths.KeyFile, paths.KeyFileNamed);
        if (header.Kdf != "argon2id" || header.Salt is null || header.MemoryKib is not (>= 8 and <= 4 * 1024 * 1024)
            || header.Iterations is not (>= 1 and <= 100) || header.Parallelism is not (>= 1 and <= 64))
            throw Damaged(paths, "its key settings are not valid");
        byte[] salt;
        try { salt = Convert.FromBase64String(header.Salt); } catch (FormatException) { throw Damaged(paths, "its salt is not valid"); }
        return KeyEncryptionKey.FromPassphrase(runtime, salt, header.MemoryKib.Value, header.Iterations.Value, header.Parallelism.Value, confirm: create);
    }

    public KeystoreEntry? Find(string name) => Body.Entries.Find(e => e.Name == name);

    /// <summary>The value of one version; a value that does not verify is tampering (<c>failed</c>).</summary>
    public SecretValue Read(KeystoreEntry entry, KeystoreVersion version)
    {
        byte[]? plain = null;
        try { plain = Crypto.Open(_dataKey, Convert.FromBase64String(version.Sealed), EntryAad(entry.Name, version.Version)); }
        catch (FormatException) { }
        return plain is null ? throw Tampered(Paths, $"the value of {entry.Name} version {version.Version} does not verify") : SecretValue.FromBytes(plain);
    }

    /// <summary>Adds a version holding <paramref name="value"/> and makes it current (keeping <paramref name="keep"/> versions).</summary>
    public KeystoreVersion AddVersion(KeystoreEntry entry, SecretValue value, int keep)
    {
        var number = entry.Versions.Count == 0 ? 1 : entry.Versions.Max(v => v.Version) + 1;
        var version = new KeystoreVersion
        {
            Version = number,
            Created = Now(),
            Sealed = Convert.ToBase64String(Crypto.Seal(_dataKey, value.RevealBytes(), EntryAad(entry.Name, number))),
        };
        entry.Versions.Add(version);
        entry.Current = number;
        entry.Updated = version.Created;
        if (entry.Versions.Count > keep) entry.Versions.RemoveRange(0, entry.Versions.Count - keep);
        return version;
    }

    /// <summary>Adds a version with a given number and time (import keeps a bundle's history as it was).</summary>
    public void ImportVersion(KeystoreEntry entry, int number, string? created, SecretValue value)
    {
        entry.Versions.Add(new KeystoreVersion
        {
            Version = number,
            Created = created ?? Now(),
            Sealed = Convert.ToBase64String(Crypto.Seal(_dataKey, value.RevealBytes(), EntryAad(entry.Name, number))),
        });
        entry.Versions.Sort((a, b) => a.Version.CompareTo(b.Version));
    }

    public KeystoreEntry AddEntry(string name)
    {
        var now = Now();
        var entry = new KeystoreEntry { Name = name, Created = now, Updated = now };
        Body.Entries.Add(entry);
        Body.Entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return entry;
    }

    public void Save()
    {
        Body.Generation++;
        var header = KeystoreCodec.WriteHeader(Header);
        var body = KeystoreCodec.WriteBody(Body);
        var signed = $"{Magic}\n{header}\n{body}\n";
        var mac = Convert.ToBase64String(Crypto.Hmac(MacKey(_dataKey), Encoding.UTF8.GetBytes(signed)));
        AtomicFile.Write(Paths.Keystore, Encoding.UTF8.GetBytes(signed + mac + "\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        KeystoreGeneration.Write(Paths, KeystoreGeneration.StoreId(header), Body.Generation);
    }

    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    static byte[] EntryAad(string name, int version) => Encoding.UTF8.GetBytes($"resh-secret-1\0{name}\0{version.ToString(CultureInfo.InvariantCulture)}");

    static byte[] MacKey(byte[] dataKey) => Crypto.Hkdf(dataKey, "resh-keystore-1 mac");

    static string KeyId(byte[] kek) => Convert.ToHexString(Crypto.Hmac(kek, KeyIdInput).AsSpan(0, 8)).ToLowerInvariant();

    static byte[] SafeHex(string hex)
    {
        try { return Convert.FromHexString(hex); } catch (FormatException) { return []; }
    }

    static ReshException Damaged(KeystorePaths paths, string why) =>
        ReshError.Failed($"The keystore {paths.Keystore} cannot be read: {why}.", "Restore it from a backup or an export bundle (resh secret://.import).",
            new System.Text.Json.Nodes.JsonObject { ["path"] = paths.Keystore, ["reason"] = why }).ToException();

    static ReshException Tampered(KeystorePaths paths, string why) =>
        ReshError.Failed($"The keystore {paths.Keystore} was modified outside resh or is damaged: {why}.",
            "Do not trust its contents; restore it from a backup or an export bundle (resh secret://.import).",
            new System.Text.Json.Nodes.JsonObject { ["path"] = paths.Keystore, ["reason"] = why, ["tampered"] = true }).ToException();
}
