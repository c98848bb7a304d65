using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Secrets;
using Ar = ARSoft.Tools.Net.Dns;

namespace Resh.Handles.Dns;

/// <summary>A TSIG key (RFC 8945): from key_name= + key= (a secret source) + algorithm=, or from a BIND key file.</summary>
internal sealed partial class DnsTsig
{
    public string Name { get; }
    public Ar.TSigAlgorithm Algorithm { get; }
    readonly byte[] _secret;

    DnsTsig(string name, Ar.TSigAlgorithm algorithm, byte[] secret) { Name = name; Algorithm = algorithm; _secret = secret; }

    /// <summary>The key the call names, or null when it names none. The secret is never put in a message or result.</summary>
    public static DnsTsig? From(VerbContext ctx)
    {
        var file = ctx.Get(DnsArgs.KeyFile);
        if (file is { Length: > 0 })
        {
            if (ctx.IsSet(DnsArgs.Key) || ctx.IsSet(DnsArgs.KeyName))
                throw new ReshException(ReshError.Usage("key_file= names the key; key= and key_name= cannot be given with it.", "Give key_file= alone, or key_name= with key=."));
            return FromFile(file);
        }
        var secret = ctx.GetSecret(DnsArgs.Key);
        var name = ctx.Get(DnsArgs.KeyName);
        if (secret is null && name is null) return null;
        if (secret is null || string.IsNullOrWhiteSpace(name))
            throw new ReshException(ReshError.Usage("A TSIG key needs both key_name= and key=.", "Give key_name=NAME key=env:VAR (or secret:NAME, file:PATH), or key_file=PATH."));
        return new DnsTsig(DnsNames.Fqdn(name, "key name"), AlgorithmOf(ctx.Get(DnsArgs.Algorithm)!), Decode(secret.Reveal()));
    }

    static bool IsRegular(string path) =>
        Resh.Core.Platform.Posix.StatAt(Resh.Core.Platform.Posix.AT_FDCWD, path, follow: true, out _) is { IsRegular: true };

    static DnsTsig FromFile(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > 64 * 1024)
                throw new ReshException(ReshError.Usage($"{path} is {info.Length} bytes, too large for a key file.", "Give the file tsig-keygen wrote."));
            if (info.Exists && !IsRegular(path))
                throw new ReshException(ReshError.Usage($"{path} is not a regular file.", "Give the file tsig-keygen wrote."));
            // The cap is on what is read, not on the size stat reports (0 for /dev/zero and /proc files).
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
            var buffer = new byte[64 * 1024 + 1];
            int total = 0, n;
            while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0) total += n;
            if (total > 64 * 1024)
                throw new ReshException(ReshError.Usage($"{path} holds more than 64 KiB, too large for a key file.", "Give the file tsig-keygen wrote."));
            text = System.Text.Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (FileNotFoundException) { throw new ReshException(ReshError.NotFound($"The key file {path} does not exist.", "Give the path of the file tsig-keygen wrote.")); }
        catch (DirectoryNotFoundException) { throw new ReshException(ReshError.NotFound($"The key file {path} does not exist.", "Give the path of the file tsig-keygen wrote.")); }
        catch (UnauthorizedAccessException) { throw new ReshException(ReshError.PermissionDenied($"The key file {path} is not readable.", "Run as a user that may read it.")); }
        var m = KeyFile().Match(text);
        if (!m.Success)
            throw new ReshException(ReshError.Usage($"{path} is not a BIND key file (key \"NAME\" {{ algorithm ALG; secret \"BASE64\"; }};).", "Give the file tsig-keygen or ddns-confgen wrote."));
        var secretText = m.Groups["secret"].Value;
        SecretRedactor.Register(secretText);
        return new DnsTsig(DnsNames.Fqdn(m.Groups["name"].Value, "key name"), AlgorithmOf(m.Groups["alg"].Value.ToLowerInvariant()), Decode(secretText));
    }

    [GeneratedRegex("""key\s+"?(?<name>[^"\s{]+)"?\s*\{(?=[^}]*algorithm\s+"?(?<alg>[A-Za-z0-9-]+)"?\s*;)(?=[^}]*secret\s+"(?<secret>[A-Za-z0-9+/=\s]+)"\s*;)""")]
    private static partial Regex KeyFile();

    static byte[] Decode(string base64)
    {
        try { return Convert.FromBase64String(base64.Trim()); }
        catch (FormatException) { throw new ReshException(ReshError.Usage("The TSIG key secret is not base64.", "Give the secret exactly as the server's key statement has it.")); }
    }

    static Ar.TSigAlgorithm AlgorithmOf(string name) => name switch
    {
        "hmac-md5" or "hmac-md5.sig-alg.reg.int" => Ar.TSigAlgorithm.Md5,
        "hmac-sha1" => Ar.TSigAlgorithm.Sha1,
        "hmac-sha224" => Ar.TSigAlgorithm.Sha224,
        "hmac-sha256" => Ar.TSigAlgorithm.Sha256,
        "hmac-sha384" => Ar.TSigAlgorithm.Sha384,
        "hmac-sha512" => Ar.TSigAlgorithm.Sha512,
        _ => throw new ReshException(ReshError.Unsupported($"TSIG algorithm {name} is not supported.", "Use hmac-sha256 (tsig-keygen's default), hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1 or hmac-md5.")),
    };

    /// <summary>The algorithm's name on the wire (RFC 8945 §6).</summary>
    string AlgorithmName => Algorithm switch
    {
        Ar.TSigAlgorithm.Md5 => "hmac-md5.sig-alg.reg.int",
        Ar.TSigAlgorithm.Sha1 => "hmac-sha1",
        Ar.TSigAlgorithm.Sha224 => "hmac-sha224",
        Ar.TSigAlgorithm.Sha384 => "hmac-sha384",
        Ar.TSigAlgorithm.Sha512 => "hmac-sha512",
        _ => "hmac-sha256",
    };

    byte[] Hmac(byte[] data)
    {
        switch (Algorithm)
        {
            case Ar.TSigAlgorithm.Md5: return HMACMD5.HashData(_secret, data);
            case Ar.TSigAlgorithm.Sha1: return HMACSHA1.HashData(_secret, data);
            case Ar.TSigAlgorithm.Sha384: return HMACSHA384.HashData(_secret, data);
            case Ar.TSigAlgorithm.Sha512: return HMACSHA512.HashData(_secret, data);
            case Ar.TSigAlgorithm.Sha224:
                var mac = new Org.BouncyCastle.Crypto.Macs.HMac(new Org.BouncyCastle.Crypto.Digests.Sha224Digest());
                mac.Init(new Org.BouncyCastle.Crypto.Parameters.KeyParameter(_secret));
                mac.BlockUpdate(data, 0, data.Length);
                var result = new byte[mac.GetMacSize()];
                mac.DoFinal(result, 0);
                return result;
            default: return HMACSHA256.HashData(_secret, data);
        }
    }

    /// <summary>The TSIG RR of one message (the last record of its additional section), or null when it has none.</summary>
    sealed record Signature(int Start, string KeyName, string Algorithm, ushort Class, uint Ttl, ulong TimeSigned, ushort Fudge, byte[] Mac, ushort OriginalId, ushort Error, byte[] Other);

    static Signature? SignatureOf(DnsWire wire)
    {
        if (wire.Records.Count == 0 || wire.Records[^1] is not { Section: 3, Type: 250 } rr) return null;
        var m = wire.Message;
        var key = DnsWire.ReadName(m, rr.Start);
        var p = DnsWire.SkipName(m, rr.Start);
        var d = rr.DataStart;
        var end = rr.DataStart + rr.DataLength;
        var alg = DnsWire.ReadName(m, d);
        d = DnsWire.SkipName(m, d);
        if (key is null || alg is null || d < 0 || d + 10 > end) return null;
        var time = ((ulong)BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(d)) << 32) | BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(d + 2));
        var fudge = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(d + 6));
        var macSize = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(d + 8));
        d += 10;
        if (d + macSize + 6 > end) return null;
        var mac = m.AsSpan(d, macSize).ToArray();
        d += macSize;
        var originalId = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(d));
        var error = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(d + 2));
        var otherLength = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(d + 4));
        d += 6;
        if (d + otherLength != end) return null;
        return new Signature(rr.Start, key, alg, BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p + 2)), BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(p + 4)),
            time, fudge, mac, originalId, error, m.AsSpan(d, otherLength).ToArray());
    }

    /// <summary>The message as it was before it was signed: the TSIG RR cut off, ARCOUNT one less, the original ID (RFC 8945 §4.3.1).</summary>
    static byte[] Unsigned(byte[] m, Signature sig)
    {
        var copy = m.AsSpan(0, sig.Start).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(copy, sig.OriginalId);
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(10), (ushort)(BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(10)) - 1));
        return copy;
    }

    static void U16(MemoryStream s, int v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v); s.Write(b); }

    static void U48(MemoryStream s, ulong v) { U16(s, (int)(v >> 32)); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, (uint)v); s.Write(b); }

    /// <summary>
    /// Checks the TSIG of every message of a zone transfer (RFC 8945 §5.3.1), strictly: each message must carry a
    /// TSIG with this key whose MAC verifies. The first message's MAC covers the request's MAC, the message and all
    /// TSIG variables; each later one covers the previous message's MAC, the message and the timers. (The RFC lets a
    /// server sign only every 100th message; resh refuses that, so that no record of the listing comes from an
    /// unsigned message that anyone on the path could have changed. BIND signs every message.) Null when all verify.
    /// </summary>
    public ReshError? VerifyTransfer(byte[]? request, IReadOnlyList<byte[]> messages, string server, string what)
    {
        var requestSig = request is null ? null : DnsWire.Parse(request) is { } rq ? SignatureOf(rq) : null;
        if (requestSig is null || messages.Count == 0)
            return Refuse(server, what, "could not be checked (no signed request or no answer was kept)", "missing", 0, messages.Count);
        var previous = requestSig.Mac;
        var keyWire = DnsWire.NameWire(Name);
        var algWire = DnsWire.NameWire(AlgorithmName);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (var i = 0; i < messages.Count; i++)
        {
            var wire = DnsWire.Parse(messages[i]);
            if (wire is null) return Refuse(server, what, $"has a malformed message ({i + 1} of {messages.Count})", "FORMERR", i + 1, messages.Count);
            var sig = SignatureOf(wire);
            if (sig is null) return Refuse(server, what, $"has an unsigned message ({i + 1} of {messages.Count})", "missing", i + 1, messages.Count);
            if (!string.Equals(sig.KeyName.TrimEnd('.'), Name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase) || !string.Equals(sig.Algorithm.TrimEnd('.'), AlgorithmName, StringComparison.OrdinalIgnoreCase))
                return Refuse(server, what, $"has a message ({i + 1} of {messages.Count}) signed with another key ({sig.KeyName.TrimEnd('.')}, {sig.Algorithm.TrimEnd('.')})", "BADKEY", i + 1, messages.Count);
            if (sig.Error != 0)
                return Refuse(server, what, $"has a message ({i + 1} of {messages.Count}) whose TSIG reports error {sig.Error}", $"RCODE{sig.Error}", i + 1, messages.Count);
            var data = new MemoryStream();
            U16(data, previous.Length);
            data.Write(previous);
            data.Write(Unsigned(wire.Message, sig));
            if (i == 0)
            {
                data.Write(keyWire); U16(data, sig.Class); U16(data, (int)(sig.Ttl >> 16)); U16(data, (int)(sig.Ttl & 0xFFFF));
                data.Write(algWire); U48(data, sig.TimeSigned); U16(data, sig.Fudge); U16(data, sig.Error); U16(data, sig.Other.Length); data.Write(sig.Other);
            }
            else
            {
                U48(data, sig.TimeSigned); U16(data, sig.Fudge);
            }
            var expected = Hmac(data.ToArray());
            var shortest = Math.Max(10, expected.Length / 2);
            if (sig.Mac.Length > expected.Length || sig.Mac.Length < shortest || !CryptographicOperations.FixedTimeEquals(sig.Mac, expected.AsSpan(0, sig.Mac.Length)))
                return Refuse(server, what, $"has a message ({i + 1} of {messages.Count}) whose TSIG does not verify", "BADSIG", i + 1, messages.Count);
            if ((now > sig.TimeSigned ? now - sig.TimeSigned : sig.TimeSigned - now) > sig.Fudge)
                return Refuse(server, what, $"has a message ({i + 1} of {messages.Count}) signed at a time outside its fudge ({sig.Fudge} s) from now", "BADTIME", i + 1, messages.Count);
            previous = sig.Mac;
        }
        return null;
    }

    ReshError Refuse(string server, string what, string problem, string tsig, int message, int messages) =>
        ReshError.Failed($"The answer of {server} to {what} {problem}, though the request was signed with the key {Name}: it may be forged or altered, so none of it is trusted.",
            "Check that server= is the zone's primary and that it signs every message of a transfer with this key.",
            new System.Text.Json.Nodes.JsonObject { ["server"] = server, ["tsig"] = tsig, ["key_name"] = Name, ["message"] = message, ["messages"] = messages });

    /// <summary>The TSIG record that signs one message (the MAC is computed when the message is encoded).</summary>
    public Ar.TSigRecord For(ushort transactionId) =>
        new(ARSoft.Tools.Net.DomainName.Parse(Name), Algorithm, DateTime.UtcNow, TimeSpan.FromSeconds(300), transactionId, Ar.ReturnCode.NoError, null, _secret);

    /// <summary>
    /// Checks that a successful answer to a signed request is itself signed with this key, its MAC computed over the
    /// answer and the request's MAC (RFC 8945 §5.3; ARSoft verifies it when it parses the answer with the request's
    /// key and MAC). An unsigned answer, or one whose MAC does not verify, may come from anyone on the path and is
    /// refused: null when it is sound, else the error.
    /// </summary>
    public ReshError? VerifyAnswer(Ar.DnsMessageBase answer, string server, string what)
    {
        var tsig = answer.TSigOptions;
        var problem = tsig is null ? "is not signed"
            : tsig.ValidationResult != Ar.ReturnCode.NoError ? $"has a TSIG that does not verify ({tsig.ValidationResult.ToString().ToUpperInvariant()})"
            : !string.Equals(tsig.Name.ToString().TrimEnd('.'), Name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase) ? $"is signed with another key ({tsig.Name})"
            : null;
        if (problem is null) return null;
        return ReshError.Failed($"The answer of {server} to {what} {problem}, though the request was signed with the key {Name}: it may be forged, so it is not trusted.",
            "Check that server= is the zone's primary and that it has this key; a server that answers without TSIG is not the one holding the key.",
            new System.Text.Json.Nodes.JsonObject { ["server"] = server, ["tsig"] = tsig is null ? "missing" : tsig.ValidationResult.ToString().ToUpperInvariant(), ["key_name"] = Name });
    }
}
