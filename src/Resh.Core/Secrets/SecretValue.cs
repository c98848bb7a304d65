using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Resh.Core.Secrets;

/// <summary>
/// A resolved secret (password, token, key). It never turns into text by accident: <see cref="ToString"/>
/// and JSON serialization give <c>***</c>, and its value is read only through <see cref="Reveal"/> or
/// <see cref="RevealBytes"/>. Creating one registers the value with <see cref="SecretRedactor"/>, so it
/// is masked in every envelope, log line and error this process prints from then on.
/// </summary>
[DebuggerDisplay("***")]
[JsonConverter(typeof(SecretValueJsonConverter))]
public sealed class SecretValue
{
    readonly byte[] _bytes;
    string? _text;

    SecretValue(byte[] bytes, string? text)
    {
        _bytes = bytes;
        _text = text;
        SecretRedactor.Register(this);
    }

    public static SecretValue FromText(string text) => new(Encoding.UTF8.GetBytes(text), text);

    /// <summary>Takes ownership of <paramref name="bytes"/> (the caller must not reuse the array).</summary>
    public static SecretValue FromBytes(byte[] bytes) => new(bytes, null);

    /// <summary>Length in bytes.</summary>
    public int Length => _bytes.Length;

    /// <summary>The secret as text (UTF-8; invalid bytes become U+FFFD). Hand it only to the backend that needs it.</summary>
    public string Reveal() => _text ??= Encoding.UTF8.GetString(_bytes);

    /// <summary>The secret's bytes, for a backend or a child's stdin. Do not keep the span.</summary>
    public ReadOnlySpan<byte> RevealBytes() => _bytes;

    /// <summary>True when the bytes are valid UTF-8 text.</summary>
    public bool IsText => System.Text.Unicode.Utf8.IsValid(_bytes);

    /// <summary>Constant-time comparison of two secrets' bytes.</summary>
    public bool SameAs(SecretValue other) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(_bytes, other._bytes);

    public override string ToString() => SecretRedactor.Mask;
}

/// <summary>A <see cref="SecretValue"/> in JSON is always <c>"***"</c>; reading one from JSON is refused.</summary>
public sealed class SecretValueJsonConverter : JsonConverter<SecretValue>
{
    public override SecretValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new JsonException("A secret cannot be read from JSON.");

    public override void Write(Utf8JsonWriter writer, SecretValue value, JsonSerializerOptions options) =>
        writer.WriteStringValue(SecretRedactor.Mask);
}
