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

    static DnsTsig FromFile(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > 64 * 1024)
                throw new ReshException(ReshError.Usage($"{path} is {info.Length} bytes, too large for a key file.", "Give the file tsig-keygen wrote."));
            text = File.ReadAllText(path);
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
