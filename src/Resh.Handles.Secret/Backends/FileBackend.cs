using Resh.Core.Errors;
using Resh.Core.Secrets;

namespace Resh.Handles.Secret.Backends;

/// <summary>
/// Read-only: one file per secret under a directory (default /run/secrets, as Docker and Kubernetes
/// mount them). The value is the whole file without one trailing line end; a file that resolves outside
/// the directory (a symlink escaping it) is refused. Dot entries (Kubernetes' ..data) are skipped in lists.
/// </summary>
internal sealed class FileBackend(string directory) : ISecretBackend
{
    const int MaxBytes = 1024 * 1024;

    public string Name => "file";
    public bool Writable => false;
    public string Directory { get; } = directory;

    string? PathOf(string name)
    {
        var path = Path.Combine(Directory, name);
        if (!File.Exists(path)) return null;
        var root = RealPath.Resolve(Directory) ?? Directory;
        var real = RealPath.Resolve(path) ?? path;
        if (!real.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal))
            throw ReshError.PermissionDenied($"{path} resolves to {real}, outside {Directory}; resh refuses to read it.",
                "Point the file backend at the directory that holds the secrets.").ToException();
        return path;
    }

    public SecretMetadata? Describe(string name)
    {
        if (PathOf(name) is not { } path) return null;
        var info = new FileInfo(path);
        return new SecretMetadata(name, null, 1, null, Time(info.LastWriteTimeUtc), new Dictionary<string, string>());
    }

    public IReadOnlyList<SecretMetadata> List(string prefix)
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden, IgnoreInaccessible = true };
        var list = new List<SecretMetadata>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*", options))
        {
            var name = Path.GetRelativePath(Directory, path);
            if (!SecretNames.IsValid(name) || !name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            list.Add(new SecretMetadata(name, null, 1, null, Time(File.GetLastWriteTimeUtc(path)), new Dictionary<string, string>()));
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    public (SecretValue Value, int? Version)? Read(string name, int? version, CancellationToken cancellation)
    {
        if (version is not (null or 1) || PathOf(name) is not { } path) return null;
        byte[] bytes;
        try
        {
            // Only a regular file is read: a FIFO planted in the directory would block the open (and the call) forever.
            if (Resh.Core.Platform.Posix.Stat(path, follow: true, out _) is { IsRegular: false })
                throw ReshError.Failed($"{path} is not a regular file; it is not a secret file.", "Put the secret in a regular file (a FIFO or device is never read).").ToException();
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            if (f.Length > MaxBytes) throw ReshError.Failed($"{path} is larger than 1 MiB; it is not a secret file.", null).ToException();
            bytes = new byte[f.Length];
            f.ReadExactly(bytes);
        }
        catch (UnauthorizedAccessException)
        {
            throw ReshError.PermissionDenied($"{path} cannot be read.", "Run as a user that may read it.").ToException();
        }
        return (SecretResolver.FromInput(bytes), null);
    }

    public IReadOnlyList<SecretVersionMetadata> Versions(string name) => PathOf(name) is null ? [] : [new SecretVersionMetadata(1, null, true)];

    static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
