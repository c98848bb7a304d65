using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Files;

namespace Resh.Handles.Cert;

/// <summary>Where cert:// writes: atomic replacement, private keys 0600, and no writing through symbolic links.</summary>
internal static class CertWrites
{
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Public = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Refuses a path that is a symbolic link (someone else could point a key at /etc/shadow) or whose directory is missing.</summary>
    public static void CheckDestination(string path, string what)
    {
        if (Posix.Stat(path, follow: false, out _) is { } st)
        {
            if (st.IsSymlink)
                throw ReshError.Conflict($"The {what} path {path} is a symbolic link; resh does not write keys or certificates through links.",
                    "Remove the link, or name the real path.", new JsonObject { ["path"] = path }).ToException();
            if (!st.IsRegular)
                throw ReshError.Conflict($"The {what} path {path} exists and is not a regular file.", "Name a file path.", new JsonObject { ["path"] = path }).ToException();
        }
        var dir = Path.GetDirectoryName(path)!;
        if (Posix.Stat(dir, follow: true, out var errno) is not { IsDirectory: true })
            throw errno is 13 or 1
                ? ReshError.PermissionDenied($"Cannot reach the directory {dir}.", "Run as a user who may write there.").ToException()
                : ReshError.NotFound($"The directory {dir} does not exist.", "Create it first (file:///DIR.mkdir).").ToException();
    }

    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        try { AtomicFile.Write(path, content, mode); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FileErrors.FromException(ex, path, "write").ToException();
        }
    }
}
