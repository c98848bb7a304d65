using System.Text.Json.Nodes;
using Resh.Core.Execution;

namespace Resh.Handles.Secret;

/// <summary>
/// The <c>[secret]</c> table of the config file: <c>backend</c> (local, env, file, pass: what
/// <c>secret:NAME</c> and secret:// use by default), <c>dir</c> (the file backend's directory),
/// <c>store</c> (the pass backend's password store), <c>key_file</c> (the local backend's key file).
/// </summary>
internal static class SecretConfig
{
    public static string? Text(ReshRuntime runtime, string key) =>
        runtime.Config.Section("secret") is { } table && table[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    public static string ExpandHome(string path, ReshRuntime runtime) =>
        path == "~" ? runtime.Paths.Home : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(runtime.Paths.Home, path[2..]) : path;
}
