using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Secrets;

namespace Resh.Handles.Secret.Keystore;

/// <summary>
/// An export bundle, for moving secrets between machines: <c>RESH-SECRET-BUNDLE 1</c>, a clear JSON
/// header (Argon2id salt and costs, count), and the secrets (names, tags, times, every version's value)
/// as one AES-256-GCM sealed JSON document under a key derived from the bundle's passphrase, the two
/// lines before it as associated data.
/// </summary>
internal static class Bundle
{
    const string Magic = "RESH-SECRET-BUNDLE 1";

    public static byte[] Write(BundleBody body, SecretValue passphrase)
    {
        var header = new BundleHeader
        {
            Salt = Convert.ToBase64String(Crypto.RandomBytes(16)),
            MemoryKib = KeyEncryptionKey.MemoryKib, Iterations = KeyEncryptionKey.Iterations, Parallelism = KeyEncryptionKey.Parallelism,
            Created = LocalKeystore.Now(), Count = body.Entries.Count,
        };
        var head = $"{Magic}\n{JsonSerializer.Serialize(header, BundleJson.Default.BundleHeader)}\n";
        var key = Crypto.Argon2id(passphrase.RevealBytes(), Convert.FromBase64String(header.Salt), header.MemoryKib, header.Iterations, header.Parallelism);
        var plain = JsonSerializer.SerializeToUtf8Bytes(body, BundleJson.Default.BundleBody);
        var sealedBody = Crypto.Seal(key, plain, Encoding.UTF8.GetBytes(head));
        Array.Clear(plain);
        Array.Clear(key);
        return Encoding.UTF8.GetBytes(head + Convert.ToBase64String(sealedBody) + "\n");
    }

    public static BundleBody Read(string path, SecretValue passphrase, ReshRuntime runtime)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw ReshError.NotFound($"The bundle {path} does not exist.", "Give the file secret://.export wrote.").ToException();
        }
        var lines = text.Split('\n');
        if (lines.Length != 4 || lines[0] != Magic || lines[3].Length != 0)
            throw ReshError.Usage($"{path} is not a resh secret bundle.", "Give a file written by resh secret://.export.").ToException();
        BundleHeader header;
        byte[] sealedBody, salt;
        try
        {
            header = JsonSerializer.Deserialize(lines[1], BundleJson.Default.BundleHeader) ?? throw new JsonException();
            sealedBody = Convert.FromBase64String(lines[2]);
            salt = Convert.FromBase64String(header.Salt);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw ReshError.Failed($"The bundle {path} is damaged.", "Export it again.").ToException();
        }
        // The header is not authenticated before the key is derived: cap the work it can ask for near resh's own settings
        // (4x the memory, a few more passes), so an edited bundle cannot make import eat gigabytes or minutes.
        if (header.MemoryKib is < 8 or > 4 * KeyEncryptionKey.MemoryKib || header.Iterations is < 1 or > 10 || header.Parallelism is < 1 or > 4)
            throw ReshError.Failed($"The bundle {path} has key settings outside what resh accepts.", "Export it again.").ToException();
        runtime.Log($"deriving the bundle key with Argon2id ({header.MemoryKib} KiB, {header.Iterations} passes)");
        var key = Crypto.Argon2id(passphrase.RevealBytes(), salt, header.MemoryKib, header.Iterations, header.Parallelism);
        var plain = Crypto.Open(key, sealedBody, Encoding.UTF8.GetBytes($"{lines[0]}\n{lines[1]}\n"));
        Array.Clear(key);
        if (plain is null)
            throw ReshError.PermissionDenied($"The passphrase does not open the bundle {path} (or the bundle was altered).", "Check the passphrase the bundle was exported with.").ToException();
        try { return JsonSerializer.Deserialize(plain, BundleJson.Default.BundleBody) ?? throw new JsonException(); }
        catch (JsonException) { throw ReshError.Failed($"The bundle {path} is damaged.", "Export it again.").ToException(); }
        finally { Array.Clear(plain); }
    }
}

internal sealed class BundleHeader
{
    public string Kdf { get; set; } = "argon2id";
    public string Salt { get; set; } = "";
    public int MemoryKib { get; set; }
    public int Iterations { get; set; }
    public int Parallelism { get; set; }
    public string Created { get; set; } = "";
    public int Count { get; set; }
}

internal sealed class BundleBody
{
    public List<BundleEntry> Entries { get; set; } = [];
}

internal sealed class BundleEntry
{
    public string Name { get; set; } = "";
    public string? Created { get; set; }
    public string? Updated { get; set; }
    public int Current { get; set; }
    public Dictionary<string, string> Tags { get; set; } = [];
    public GeneratorSpec? Generator { get; set; }
    public List<BundleVersion> Versions { get; set; } = [];
}

internal sealed class BundleVersion
{
    public int Version { get; set; }
    public string? Created { get; set; }
    /// <summary>base64 of the value, inside the sealed body only.</summary>
    public string Value { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BundleHeader))]
[JsonSerializable(typeof(BundleBody))]
internal sealed partial class BundleJson : JsonSerializerContext;
