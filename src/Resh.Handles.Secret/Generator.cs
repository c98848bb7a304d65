using Resh.Core.Secrets;
using Resh.Handles.Secret.Keystore;

namespace Resh.Handles.Secret;

/// <summary>Random values for generate and rotate: uniform characters from a charset, or raw bytes (the OS's CSPRNG).</summary>
internal static class Generator
{
    public static readonly string[] Charsets = ["alnum", "alpha", "digits", "hex", "base64url", "printable"];
    public const int DefaultLength = 32;

    static string Alphabet(string charset) => charset switch
    {
        "alpha" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        "digits" => "0123456789",
        "hex" => "0123456789abcdef",
        "base64url" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        "printable" => "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        _ => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    };

    public static (SecretValue Value, string Description) Make(GeneratorSpec spec)
    {
        if (spec.Bytes is { } n)
            return (SecretValue.FromBytes(OsRandom.GetBytes(n)), $"{n} random bytes");
        var charset = spec.Charset ?? "alnum";
        var length = spec.Length ?? DefaultLength;
        return (SecretValue.FromText(OsRandom.GetString(Alphabet(charset), length)), $"{length} random {charset} characters");
    }
}
