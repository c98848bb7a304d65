using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Sys;

public sealed record HostnameResult(
    [property: Description("The kernel host name (uname nodename).")] string Hostname,
    [property: Description("The fully qualified name as `hostname -f` gives it (the resolver's canonical name), else null.")] string? Fqdn,
    [property: Description("The NIS/YP domain name, when set.")] string? Domain);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(HostnameResult))]
[JsonSerializable(typeof(OsResult))]
[JsonSerializable(typeof(CpuResult))]
[JsonSerializable(typeof(MemoryResult))]
[JsonSerializable(typeof(DiskResult))]
[JsonSerializable(typeof(NetworkResult))]
[JsonSerializable(typeof(UptimeResult))]
[JsonSerializable(typeof(LoadResult))]
[JsonSerializable(typeof(UsersResult))]
[JsonSerializable(typeof(LimitsResult))]
[JsonSerializable(typeof(TimeResult))]
[JsonSerializable(typeof(InfoResult))]
internal sealed partial class SystemJson : JsonSerializerContext;
