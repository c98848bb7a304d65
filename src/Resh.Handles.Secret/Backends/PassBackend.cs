using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Secrets;

namespace Resh.Handles.Secret.Backends;

/// <summary>
/// Read-only: a password-store (pass(1), entries encrypted with gpg). A value is the first line of
/// <c>pass show NAME</c> (pass's own convention); names and times come from the *.gpg files without
/// decrypting anything. gpg's agent and GNUPGHOME are the caller's.
/// </summary>
internal sealed class PassBackend(string store) : ISecretBackend
{
    public string Name => "pass";
    public bool Writable => false;
    public string Store { get; } = store;

    string FileOf(string name) => Path.Combine(Store, name + ".gpg");

    public SecretMetadata? Describe(string name)
    {
        var file = FileOf(name);
        return File.Exists(file) ? new SecretMetadata(name, null, 1, null, Time(File.GetLastWriteTimeUtc(file)), new Dictionary<string, string>()) : null;
    }

    public IReadOnlyList<SecretMetadata> List(string prefix)
    {
        if (!Directory.Exists(Store)) return [];
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden, IgnoreInaccessible = true };
        var list = new List<SecretMetadata>();
        foreach (var file in Directory.EnumerateFiles(Store, "*.gpg", options))
        {
            var name = Path.GetRelativePath(Store, file)[..^4];
            if (!SecretNames.IsValid(name) || !name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            list.Add(new SecretMetadata(name, null, 1, null, Time(File.GetLastWriteTimeUtc(file)), new Dictionary<string, string>()));
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    public (SecretValue Value, int? Version)? Read(string name, int? version, CancellationToken cancellation)
    {
        if (version is not (null or 1) || !File.Exists(FileOf(name))) return null;
        if (ProcessRunner.Which("pass") is not { } pass)
            throw ReshError.Unavailable("The pass backend needs pass(1), which is not installed.", "Install the `pass` package.").ToException();
        var run = ProcessRunner.RunAsync([pass, "show", "--", name],
            new ProcessOptions { Environment = new Dictionary<string, string?> { ["PASSWORD_STORE_DIR"] = Store }, MaxOutputBytes = 1024 * 1024 },
            cancellation).GetAwaiter().GetResult();
        if (!run.Succeeded)
            throw ReshError.Failed($"pass could not decrypt {name}: {run.LastErrorLine}", "Check that gpg can use the store's key (gpg-agent, GNUPGHOME).",
                new System.Text.Json.Nodes.JsonObject { ["exit_code"] = run.ExitCode }).ToException();
        var text = run.Stdout;
        var end = text.IndexOf('\n');
        var line = (end < 0 ? text : text[..end]).TrimEnd('\r');
        if (line.Length == 0) throw ReshError.Failed($"The first line of {name} in the password store is empty.", "pass keeps the password on the first line.").ToException();
        return (SecretValue.FromText(line), null);
    }

    public IReadOnlyList<SecretVersionMetadata> Versions(string name) => File.Exists(FileOf(name)) ? [new SecretVersionMetadata(1, null, true)] : [];

    static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
