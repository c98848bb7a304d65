using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Config.Kv;

/// <summary>The rules both stores share: which keys are valid, how values are typed, and the compare-and-set check.</summary>
internal static class KvRules
{
    /// <summary>The largest value (UTF-8 bytes): etcd refuses requests over 1.5 MiB by default; the embedded store keeps the same bound.</summary>
    public const int MaxValueBytes = 1 << 20;
    public const int MaxKeyBytes = 4096;

    /// <summary>A key (or prefix, when <paramref name="prefix"/>) as the target names it; usage when it has NUL or control characters, a `.`/`..` segment, or is too long.</summary>
    public static string CheckKey(string display, string key, bool prefix)
    {
        if (!prefix && (key.Length == 0 || key.EndsWith('/')))
            throw ReshError.Usage($"{display} names no key.", "Name the key after the store: config://NAME/app/db/host (list and watch take a prefix).").ToException();
        foreach (var c in key)
            if (char.IsControl(c))
                throw ReshError.Usage($"The key in {display} holds a control character (U+{(int)c:X4}); keys are printable text.", "Example: config://NAME/app/db/host").ToException();
        if (key.Split('/').Any(s => s is "." or ".."))
            throw ReshError.Usage($"The key in {display} has a `.` or `..` segment; keys name no relative paths.", "Write the key in full: config://NAME/app/db/host").ToException();
        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
            throw ReshError.Usage($"The key in {display} is longer than {MaxKeyBytes} bytes.", "Use a shorter key.").ToException();
        return key;
    }

    /// <summary>The text stored for a value: a string as it is, anything else as compact JSON; usage when larger than 1 MiB.</summary>
    public static string Text(JsonNode? value)
    {
        var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "null";
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxValueBytes)
            throw ReshError.Usage($"The value is {bytes} bytes; a key-value store takes at most {MaxValueBytes} bytes (1 MiB) per key; nothing was written.",
                "Store large documents in a file (config:///path) and keep their path in the store.").ToException();
        return text;
    }

    /// <summary>A stored text read back typed: JSON when it parses as JSON, else the string.</summary>
    public static JsonNode? Typed(string text)
    {
        if (text.Length == 0) return JsonValue.Create("");
        try { return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 200 }); }
        catch (JsonException) { return JsonValue.Create(text); }
    }

    /// <summary>Throws <c>conflict</c> when the key is not at the expected revision (0: absent).</summary>
    public static void Expect(string display, KvEntry? current, long? expected)
    {
        if (expected is not { } want) return;
        var now = current?.Revision ?? 0;
        if (now == want) return;
        var details = new JsonObject { ["key"] = display, ["expected_revision"] = want, ["current_revision"] = now };
        throw (want == 0
            ? ReshError.Conflict($"{display} already exists (revision {now}); revision=0 writes only an absent key, and nothing was written.", $"Read it ({display}.get) and pass revision={now} to replace it.", details)
            : current is null
                ? ReshError.Conflict($"{display} does not exist (expected revision {want}); nothing was written.", "Pass revision=0 to create it only if absent.", details)
                : ReshError.Conflict($"{display} is at revision {now}, not {want}: it changed since it was read; nothing was written.", $"Read it again ({display}.get) and retry with revision={now}.", details)).ToException();
    }

    public static ReshException KeptChanging(string display) =>
        ReshError.Conflict($"{display} kept changing while it was being written.", "Retry; another client is writing it fast (or pass revision= to write only over a value you read).").ToException();
}
