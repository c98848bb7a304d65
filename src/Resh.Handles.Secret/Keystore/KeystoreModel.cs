namespace Resh.Handles.Secret.Keystore;

/// <summary>The keystore's clear header: how the data key is wrapped. Authenticated by the file MAC. JSON by <see cref="KeystoreCodec"/>.</summary>
internal sealed class KeystoreHeader
{
    /// <summary><c>keyfile</c> or <c>argon2id</c> (passphrase).</summary>
    public string Kdf { get; set; } = "keyfile";
    public string? Salt { get; set; }
    public int? MemoryKib { get; set; }
    public int? Iterations { get; set; }
    public int? Parallelism { get; set; }
    /// <summary>HMAC of a constant under the key-encryption key: tells a wrong key from a damaged file.</summary>
    public string KeyId { get; set; } = "";
    /// <summary>The data key sealed under the key-encryption key (base64 of nonce ‖ ciphertext ‖ tag).</summary>
    public string WrappedKey { get; set; } = "";
    public string Created { get; set; } = "";
}

/// <summary>Everything after the header: the secrets, each version's value sealed separately.</summary>
internal sealed class KeystoreBody
{
    public List<KeystoreEntry> Entries { get; set; } = [];
    /// <summary>Raised by one on every save; authenticated by the file MAC and recorded in the generation file (rollback check).</summary>
    public long Generation { get; set; }
}

internal sealed class KeystoreEntry
{
    public string Name { get; set; } = "";
    public string Created { get; set; } = "";
    public string Updated { get; set; } = "";
    public int Current { get; set; }
    public Dictionary<string, string> Tags { get; set; } = [];
    /// <summary>How `generate` made the value, so `rotate` makes the next one alike.</summary>
    public GeneratorSpec? Generator { get; set; }
    public List<KeystoreVersion> Versions { get; set; } = [];

    public KeystoreVersion? Version(int n) => Versions.Find(v => v.Version == n);
}

internal sealed class KeystoreVersion
{
    public int Version { get; set; }
    public string Created { get; set; } = "";
    /// <summary>base64 of nonce ‖ ciphertext ‖ tag; associated data binds the name and version.</summary>
    public string Sealed { get; set; } = "";
}

public sealed class GeneratorSpec
{
    public string? Charset { get; set; }
    public int? Length { get; set; }
    public int? Bytes { get; set; }
}
