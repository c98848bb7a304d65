using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Config;
using Resh.Core.Secrets;

namespace Resh.Agent;

/// <summary>
/// Ed25519 keys of agent callers. A private key is its 32-byte seed, written <c>ed25519-seed:BASE64</c> in a 0600 file
/// of the state dir (<c>agent/keys/NAME.key</c>) or held in any secret source; a public key is <c>ed25519:BASE64</c>
/// of the 32 raw bytes (also accepted: the 44-byte DER SubjectPublicKeyInfo openssl prints).
/// </summary>
public static class AgentKeys
{
    const string SeedPrefix = "ed25519-seed:";
    static readonly byte[] SpkiPrefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

    public static string KeyDir(ReshPaths paths) => Path.Combine(paths.StateDir, "agent", "keys");
    public static string KeyPath(ReshPaths paths, string name) => Path.Combine(KeyDir(paths), name + ".key");

    public static byte[] NewSeed() => RandomNumberGenerator.GetBytes(32);

    public static string PublicText(byte[] seed) => "ed25519:" + Convert.ToBase64String(new Ed25519PrivateKeyParameters(seed, 0).GeneratePublicKey().GetEncoded());

    public static string SeedText(byte[] seed) => SeedPrefix + Convert.ToBase64String(seed);

    public static byte[] ParsePublic(string text, string where)
    {
        var t = text.Trim();
        var body = t.StartsWith("ed25519:", StringComparison.OrdinalIgnoreCase) ? t[8..] : t;
        byte[] raw;
        try { raw = Convert.FromBase64String(body); }
        catch (FormatException) { raw = []; }
        if (raw.Length == 44 && raw.AsSpan(0, 12).SequenceEqual(SpkiPrefix)) raw = raw[12..];
        if (raw.Length != 32)
            throw ReshError.Usage($"The key in {where} is not an Ed25519 public key.", "Write it as ed25519:BASE64, the line `resh agent key create` printed.").ToException();
        return raw;
    }

    static byte[]? ParseSeed(string text)
    {
        var t = text.Trim();
        if (!t.StartsWith(SeedPrefix, StringComparison.Ordinal)) return null;
        try
        {
            var raw = Convert.FromBase64String(t[SeedPrefix.Length..]);
            return raw.Length == 32 ? raw : null;
        }
        catch (FormatException) { return null; }
    }

    /// <summary>
    /// The caller's private key from <c>[agent] key</c>: a key name of the state dir (<c>resh agent key create name=NAME</c>)
    /// or a secret reference (secret:NAME, file:PATH, env:VAR) holding <c>ed25519-seed:BASE64</c>.
    /// </summary>
    public static byte[] LoadPrivate(string key, ReshRuntime runtime, CancellationToken ct)
    {
        string text;
        string shown;
        if (key.Contains(':'))
        {
            SecretRef source;
            try { source = SecretRef.Parse(key, warnLiteral: false); }
            catch (FormatException e) { throw ReshError.Usage($"[agent] key: {e.Message}", "key = \"NAME\" (resh agent key create name=NAME) or a secret reference.").ToException(); }
            if (source.Kind == SecretSourceKind.Literal)
                throw ReshError.Usage("[agent] key is neither a key name nor a secret reference.", "key = \"NAME\" (resh agent key create name=NAME), or \"secret:NAME\", \"file:PATH\", \"env:VAR\".").ToException();
            text = SecretResolver.Resolve(source, "config value `agent.key`", runtime, ct).Reveal();
            shown = key;
        }
        else
        {
            if (!AgentWire.ValidWord(key)) throw ReshError.Usage($"[agent] key `{AgentSettings.Clip(key)}` is not a key name.", "key = \"NAME\" as given to resh agent key create name=NAME.").ToException();
            var path = KeyPath(runtime.Paths, key);
            shown = path;
            try { text = File.ReadAllText(path); }
            catch (FileNotFoundException) { throw NoKey(key); }
            catch (DirectoryNotFoundException) { throw NoKey(key); }
            catch (UnauthorizedAccessException) { throw ReshError.PermissionDenied($"Cannot read the agent key {path}.", "It is readable by the user who created it only (0600).").ToException(); }
        }
        return ParseSeed(text) ?? throw ReshError.Usage($"{shown} does not hold an agent key (ed25519-seed:BASE64).", "Create one with resh agent key create name=NAME.").ToException();
    }

    static ReshException NoKey(string name) => ReshError.NotFound($"No agent key named `{name}`.",
        $"Create it with `resh agent key create name={name}` and add the public key it prints to the agents' [agent.callers.{name}].").ToException();

    /// <summary>Writes a new key file, 0600 from its creation; false when one of that name exists.</summary>
    public static bool Write(ReshPaths paths, string name, byte[] seed)
    {
        var dir = KeyDir(paths);
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            using var fs = new FileStream(KeyPath(paths, name), new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            fs.Write(Encoding.ASCII.GetBytes(SeedText(seed) + "\n"));
            fs.Flush(true);
            return true;
        }
        catch (IOException) when (File.Exists(KeyPath(paths, name))) { return false; }
    }

    public static byte[] Sign(byte[] seed, ReadOnlySpan<byte> data)
    {
        var s = new Ed25519Signer();
        s.Init(true, new Ed25519PrivateKeyParameters(seed, 0));
        var copy = data.ToArray();
        s.BlockUpdate(copy, 0, copy.Length);
        return s.GenerateSignature();
    }

    public static bool Verify(byte[] publicKey, byte[] data, byte[] signature)
    {
        if (signature.Length != 64 || publicKey.Length != 32) return false;
        try
        {
            var v = new Ed25519Signer();
            v.Init(false, new Ed25519PublicKeyParameters(publicKey, 0));
            v.BlockUpdate(data, 0, data.Length);
            return v.VerifySignature(signature);
        }
        catch (ArgumentException) { return false; }
    }
}
