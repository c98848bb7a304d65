using System.ComponentModel;
using System.Security;
using System.Text.Json.Nodes;

namespace Resh.Core.Errors;

/// <summary>
/// Turns exceptions that escape a handle into envelopes. Expected failures are values; anything
/// reaching here is either a common OS error with an obvious code, or a bug reported as <c>failed</c>.
/// </summary>
public static class ExceptionTranslation
{
    public static ReshError ToError(Exception ex, string? subject = null)
    {
        var about = subject is null ? "" : $" ({subject})";
        return ex switch
        {
            ReshException r => r.Error,
            FileNotFoundException => ReshError.NotFound($"No such file{about}.", "Check the path; relative paths resolve against the current directory.", Detail(ex)),
            DirectoryNotFoundException => ReshError.NotFound($"No such file or directory{about}.", "Check the path; relative paths resolve against the current directory.", Detail(ex)),
            UnauthorizedAccessException or SecurityException => ReshError.PermissionDenied($"Permission denied{about}.", "Run as a user with access, or change the file's permissions.", Detail(ex)),
            PathTooLongException => ReshError.Usage($"Path too long{about}.", null, Detail(ex)),
            Win32Exception w when w.NativeErrorCode == 2 => ReshError.Unavailable($"Program not found{about}.", "Install the tool this verb needs.", Detail(ex)),
            IOException io when Errno(io) is { } errno => FromErrno(errno, about, ex),
            IOException => ReshError.Failed($"I/O error{about}: {OneLine(ex.Message)}", null, Detail(ex)),
            NotSupportedException => ReshError.Unsupported($"Not supported{about}: {OneLine(ex.Message)}", null, Detail(ex)),
            _ => ReshError.Failed($"Internal error{about}: {OneLine(ex.Message)}", "This is a bug in resh; rerun with --verbose and report it.", Detail(ex)),
        };
    }

    public static ReshError FromErrno(int errno, string about, Exception? ex = null)
    {
        var details = ex is null ? new JsonObject() : Detail(ex);
        details["errno"] = errno;
        return errno switch
        {
            2 => ReshError.NotFound($"No such file or directory{about}.", null, details),
            1 or 13 => ReshError.PermissionDenied($"Permission denied{about}.", "Run as a user with access, or change permissions.", details),
            17 => ReshError.Conflict($"Already exists{about}.", null, details),
            39 => ReshError.Conflict($"Directory not empty{about}.", "Pass recursive=true to remove a directory tree.", details),
            20 => ReshError.Usage($"Not a directory{about}.", null, details),
            21 => ReshError.Usage($"Is a directory{about}.", null, details),
            16 => ReshError.Conflict($"Device or resource busy{about}.", null, details),
            28 => ReshError.Failed($"No space left on device{about}.", "Free some space and retry.", details),
            30 => ReshError.PermissionDenied($"Read-only file system{about}.", null, details),
            18 => ReshError.Failed($"Cross-device link{about}.", null, details),
            95 or 38 => ReshError.Unsupported($"Operation not supported{about}.", null, details),
            61 => ReshError.NotFound($"No such attribute{about}.", null, details),
            _ => ReshError.Failed($"I/O error{about}: {(ex is null ? $"errno {errno}" : OneLine(ex.Message))}", null, details),
        };
    }

    static int? Errno(IOException io)
    {
        // On Unix the runtime puts the raw errno into HResult's low bits for many IO errors.
        var h = io.HResult;
        if ((h & 0xFFFF0000) == 0x80070000) return null; // Windows-style HRESULT: no errno
        return h > 0 && h < 4096 ? h : null;
    }

    static JsonObject Detail(Exception ex) => new()
    {
        ["exception"] = ex.GetType().Name,
        ["reason"] = OneLine(ex.Message),
    };

    public static string OneLine(string s)
    {
        var line = Readable(s.ReplaceLineEndings(" ").Trim());
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    static readonly Dictionary<string, string> ResourceTexts = new(StringComparer.Ordinal)
    {
        ["UnauthorizedAccess_IODenied_Path"] = "Access to the path '{0}' is denied",
        ["UnauthorizedAccess_IODenied_NoPathName"] = "Access to the path is denied",
        ["IO_FileNotFound"] = "Unable to find the specified file",
        ["IO_FileNotFound_FileName"] = "Could not find file '{0}'",
        ["IO_PathNotFound_Path"] = "Could not find a part of the path '{0}'",
        ["IO_PathNotFound_NoPathName"] = "Could not find a part of the path",
        ["IO_FileExists_Name"] = "The file '{0}' already exists",
        ["IO_AlreadyExists_Name"] = "Cannot create '{0}' because a file or directory with the same name already exists",
        ["IO_SharingViolation_File"] = "The process cannot access the file '{0}' because it is being used by another process",
        ["IO_SharingViolation_NoFileName"] = "The process cannot access the file because it is being used by another process",
        ["IO_PathTooLong_Path"] = "The path '{0}' is too long",
        ["IO_DiskFull_Path_Handle"] = "There is not enough space on the disk: '{0}'",
        ["IO_FileTooLong"] = "The file is too long",
        ["IO_EOF_ReadBeyondEOF"] = "Unable to read beyond the end of the stream",
    };

    /// <summary>
    /// The native binary is built without the runtime's message texts (UseSystemResourceKeys), so an exception
    /// says `UnauthorizedAccess_IODenied_Path, /x`: common keys become their English sentence, any other key
    /// its words, so a raw resource key never reaches an envelope.
    /// </summary>
    public static string Readable(string message)
    {
        int comma = message.IndexOf(", ", StringComparison.Ordinal);
        var key = comma < 0 ? message : message[..comma];
        if (key.Length == 0 || !char.IsAsciiLetterUpper(key[0]) || !key.Contains('_') || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')) return message;
        var args = comma < 0 ? [] : message[(comma + 2)..].Split(", ");
        if (ResourceTexts.TryGetValue(key, out var text))
        {
            for (int i = 0; i < 4; i++) text = text.Replace("{" + i + "}", i < args.Length ? args[i] : "", StringComparison.Ordinal);
            return text + ".";
        }
        var words = string.Join(' ', key.Split('_', StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
        return args.Length == 0 ? words : $"{words}: {string.Join(", ", args)}";
    }
}
