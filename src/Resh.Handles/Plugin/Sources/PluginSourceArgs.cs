using Resh.Core.Model;

namespace Resh.Handles.Plugin.Sources;

/// <summary>The arguments the install sources add to plugin://.install (and update uses): registry=, key=, version=.</summary>
public static class PluginSourceArgs
{
    public static readonly Arg<string?> Registry = Arg.String("registry",
        "URL of a signed plugin index (index.json; its signature at URL.sig) for a plugin given by name; else [plugin] registry in the config.",
        examples: ["https://plugins.example.org/index.json"]);

    public static readonly Arg<IReadOnlyList<string>> Key = Arg.List("key",
        "Trusted Ed25519 public key(s) of the registry, ed25519:BASE64 (added to [plugin] trusted_keys of the config).",
        examples: ["ed25519:i4tzmAZ/DVF3EjhGa4UdMHxEcizEcpOXt9XZ9vWHfg0="]);

    public static readonly Arg<string?> Version = Arg.String("version",
        "The registry version to install (exact); default: the highest release in the index.", examples: ["1.2.0"]);

    public static readonly Arg<string?> Sha256 = Arg.String("sha256",
        "The archive's expected SHA-256 (hex, optionally sha256:HEX): checked for an archive file or URL; needed for a plain http:// URL (else force=true).",
        examples: ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]);

    /// <summary>Append to the install verb's arguments.</summary>
    /// <summary>
    /// token= (and user=) for a private https source: git's (through GIT_ASKPASS, the same argument git:// takes) and an
    /// https archive URL's (an Authorization: Bearer header, sent to that host only). Secret-typed: never in argv or output.
    /// </summary>
    public static ArgInfo[] Install => [Registry, Key, Version, Sha256, Resh.Handles.Git.GitAuth.TokenArg, Resh.Handles.Git.GitAuth.UserArg];
}
