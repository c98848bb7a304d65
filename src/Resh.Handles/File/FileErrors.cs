using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Files;

/// <summary>The file handle's one place that turns errno values and I/O exceptions into envelopes, with the path attached.</summary>
internal static class FileErrors
{
    public static ReshError FromErrno(int errno, string rawPath, string action)
    {
        var path = FilePaths.Display(rawPath);
        var details = new JsonObject { ["path"] = path, ["errno"] = errno, ["action"] = action };
        return errno switch
        {
            FileNative.ENOENT => ReshError.NotFound($"Cannot {action} {path}: it (or a parent directory) does not exist.",
                "Check the path; file:///abs/path is absolute, file://rel/path is relative to the current directory.", details),
            FileNative.EACCES or FileNative.EPERM => ReshError.PermissionDenied($"Cannot {action} {path}: permission denied.",
                "Run as a user with access (sudo), or change the permissions of the file or its directory.", details),
            30 => ReshError.PermissionDenied($"Cannot {action} {path}: the file system is read-only.", "Remount it read-write, or pick a path on a writable file system.", details),
            FileNative.EEXIST => ReshError.Conflict($"Cannot {action} {path}: something already exists there.", "Remove it first, or pass force=true where the verb offers it.", details),
            FileNative.ENOTEMPTY => ReshError.Conflict($"Cannot {action} {path}: the directory is not empty.", "Pass recursive=true to act on the whole tree.", details),
            FileNative.ENOTDIR => ReshError.Usage($"Cannot {action} {path}: a parent of the path is not a directory.", "Check each component of the path.", details),
            FileNative.EISDIR => ReshError.Usage($"Cannot {action} {path}: it is a directory.", "Name a file, or use the directory verbs (list, mkdir, delete recursive=true).", details),
            FileNative.ELOOP => ReshError.Usage($"Cannot {action} {path}: too many levels of symbolic links.", "Check the links with readlink.", details),
            FileNative.ENOTSUP => ReshError.Unsupported($"Cannot {action} {path}: the file system does not support it.", null, details),
            28 => ReshError.Failed($"Cannot {action} {path}: no space left on the device.", "Free some space and retry.", details),
            16 => ReshError.Conflict($"Cannot {action} {path}: the device or resource is busy.", "Something has it open or mounted; stop that first.", details),
            36 => ExceptionTranslation.NameTooLong(path, null, details),
            _ => ReshError.Failed($"Cannot {action} {path}: {Resh.Core.Platform.Posix.StrError(errno)}.", null, details),
        };
    }

    public static ReshException Throw(int errno, string path, string action) => FromErrno(errno, path, action).ToException();

    /// <summary>Maps a .NET I/O exception raised while acting on <paramref name="path"/>.</summary>
    public static ReshError FromException(Exception ex, string path, string action) => ex switch
    {
        ReshException r => r.Error,
        FileNotFoundException or DirectoryNotFoundException => FromErrno(FileNative.ENOENT, path, action),
        UnauthorizedAccessException => FromErrno(FileNative.EACCES, path, action),
        IOException io when io.HResult is > 0 and < 4096 => FromErrno(io.HResult, path, action),
        _ => ExceptionTranslation.ToError(ex, path),
    };

    /// <summary>Runs an I/O action and rethrows failures as envelopes naming the path.</summary>
    public static T Guard<T>(string path, string action, Func<T> run)
    {
        try { return run(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FromException(ex, path, action).ToException();
        }
    }

    public static void Guard(string path, string action, Action run)
    {
        try { run(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FromException(ex, path, action).ToException();
        }
    }

    public static void Check(int errno, string path, string action)
    {
        if (errno != 0) throw Throw(errno, path, action);
    }
}
