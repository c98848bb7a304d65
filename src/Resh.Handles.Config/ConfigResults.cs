using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Resh.Handles.Config;

public sealed record ConfigGetResult(
    string Path,
    [property: Description("The format the file was read as.")] string Format,
    [property: Description("The key as given (empty: the whole document).")] string Key,
    bool Exists,
    [property: Description("object, array, string, number, boolean or null.")] string? Type,
    JsonNode? Value,
    [property: Description("Key-value stores: the revision that last changed the key (null for files and absent keys); pass it as revision= to set only over this value.")] long? Revision = null);

public sealed record ConfigChangeResult(
    string Path,
    string Format,
    string Key,
    [property: Description("The value before (null when the key was absent).")] JsonNode? Previous,
    [property: Description("The value after (null after a delete).")] JsonNode? Value,
    [property: Description("True when the file did not exist and was created.")] bool Created,
    [property: Description("Unified diff of the file (null when unchanged).")] string? Diff,
    [property: Description("Key-value stores: the store revision the write made (null for files, dry runs and unchanged keys).")] long? Revision = null,
    [property: Description("Key-value stores: the key's revision before the write (null for files and absent keys).")] long? PreviousRevision = null);

public sealed record ConfigMergeResult(
    string Path,
    string Format,
    [property: Description("Keys (JSON Pointers) set or deleted by the merge.")] IReadOnlyList<string> Changed,
    string? Diff);

public sealed record ConfigKey(
    [property: Description("The key's own name (an index for an array item).")] string Name,
    [property: Description("JSON Pointer of the key.")] string Pointer,
    string Type);

public sealed record ConfigKeysResult(string Path, string Format, string Key, int Count, IReadOnlyList<ConfigKey> Keys);

public sealed record ConfigSchemaError(
    [property: Description("JSON Pointer of the value that fails.")] string Instance,
    [property: Description("Where in the schema the failing keyword is.")] string Schema,
    string Message);

public sealed record ConfigValidateResult(string Path, string Format, string Schema, bool Valid, int Count, IReadOnlyList<ConfigSchemaError> Errors,
    [property: Description("Keywords not evaluated because the value is masked as a secret (reveal=true checks them); empty when everything was checked.")] IReadOnlyList<ConfigSchemaError> Unchecked);

public sealed record ConfigConvertResult(
    string Path,
    string From,
    string To,
    [property: Description("The file written (null: the content is in `content`).")] string? Output,
    [property: Description("The converted document when no output file was named.")] string? Content,
    [property: Description("Unified diff of the output file (null when unchanged or not written).")] string? Diff);

public sealed record ConfigDifference(
    [property: Description("JSON Pointer of the key.")] string Key,
    [property: Description("add (only on the other side), remove (only in this file) or change.")] string Op,
    JsonNode? Old,
    JsonNode? New);

public sealed record ConfigDiffResult(
    string Path,
    [property: Description("The other file, or `desired` for a given document.")] string Other,
    bool Equal,
    int Count,
    IReadOnlyList<ConfigDifference> Differences);

public sealed record ConfigKvItem(
    string Key,
    [property: Description("The revision that last changed the key.")] long Revision,
    [property: Description("The revision that created the key.")] long CreateRevision,
    [property: Description("How many times the key was written since it was created.")] long Version,
    string Type,
    [property: Description("Typed: JSON when the stored text parses as JSON, else the string.")] JsonNode? Value);

public sealed record ConfigListResult(
    [property: Description("The store and prefix, as config://NAME/PREFIX.")] string Store,
    [property: Description("etcd or embedded.")] string Backend,
    string Prefix,
    int Count,
    [property: Description("True when more keys match than limit= let through.")] bool More,
    [property: Description("The store's revision when listed (a watch from it misses nothing).")] long Revision,
    IReadOnlyList<ConfigKvItem> Keys);

public sealed record ConfigWatchResult(
    string Store,
    string Backend,
    string Prefix,
    [property: Description("Changes streamed (put and delete events).")] long Events,
    [property: Description("The last revision seen: pass it as revision= to go on without a gap.")] long LastRevision,
    [property: Description("count (count= reached) or timeout (--timeout ended it, a normal end).")] string Ended);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ConfigGetResult))]
[JsonSerializable(typeof(ConfigChangeResult))]
[JsonSerializable(typeof(ConfigMergeResult))]
[JsonSerializable(typeof(ConfigKeysResult))]
[JsonSerializable(typeof(ConfigValidateResult))]
[JsonSerializable(typeof(ConfigConvertResult))]
[JsonSerializable(typeof(ConfigDiffResult))]
[JsonSerializable(typeof(ConfigListResult))]
[JsonSerializable(typeof(ConfigWatchResult))]
internal sealed partial class ConfigJson : JsonSerializerContext;
