using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Resh.Handles.Ssh;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class SshJson : JsonSerializerContext;
