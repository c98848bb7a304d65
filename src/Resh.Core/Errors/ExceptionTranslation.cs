using System.ComponentModel;
using System.Security;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Platform;

namespace Resh.Core.Errors;

/// <summary>
/// Turns exceptions that escape a handle into envelopes. Expected failures are values; anything
/// reaching here is either a common OS error with an obvious code, or a bug reported as <c>failed</c>.
/// The binary is built without the runtime's message texts (UseSystemResourceKeys), so an exception's
/// Message is often a bare resource key ("Overflow_Int64", "IO_FileTooLong2GB"): <see cref="Describe"/>
/// turns every exception into a sentence from its type, errno or key, never the key itself.
/// </summary>
public static class ExceptionTranslation
{
    public const int ENAMETOOLONG = 36;

    /// <summary>
    /// True when <paramref name="ex"/> (or an exception inside it) says the connection was never made: refused, no
    /// route, the name did not resolve. Nothing reached the server, so even a non-idempotent call may be repeated
    /// (<see cref="ReshError.NotSent"/>).
    /// </summary>
    public static bool NeverConnected(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is System.Net.Sockets.SocketException se && se.SocketErrorCode is System.Net.Sockets.SocketError.ConnectionRefused
                    or System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.HostUnreachable
                    or System.Net.Sockets.SocketError.NetworkUnreachable or System.Net.Sockets.SocketError.TryAgain
                    or System.Net.Sockets.SocketError.NoData or System.Net.Sockets.SocketError.AddressNotAvailable)
                return true;
        return false;
    }

    public static ReshError ToError(Exception ex, string? subject = null)
    {
        var about = subject is null ? "" : $" ({subject})";
        return ex switch
        {
            ReshException r => r.Error,
            AggregateException { InnerExceptions.Count: 1 } agg => ToError(agg.InnerExceptions[0], subject),
            FileNotFoundException => ReshError.NotFound($"No such file{about}.", "Check the path; relative paths resolve against the current directory.", Detail(ex)),
            DirectoryNotFoundException => ReshError.NotFound($"No such file or directory{about}.", "Check the path; relative paths resolve against the current directory.", Detail(ex)),
            UnauthorizedAccessException or SecurityException => ReshError.PermissionDenied($"Permission denied{about}.", "Run as a user with access, or change the file's permissions.", Detail(ex)),
            PathTooLongException => NameTooLong(subject, ex),
            Win32Exception w when w.NativeErrorCode == 2 => ReshError.Unavailable($"Program not found{about}.", "Install the tool this verb needs.", Detail(ex)),
            OutputStreamException o => ReshError.Failed($"{Describe(o)}", null, Detail(ex)),
            IOException io when Errno(io) is { } errno => FromErrno(errno, about, ex, subject),
            IOException => ReshError.Failed($"I/O error{about}: {Describe(ex)}", null, Detail(ex)),
            InvalidDataException or EndOfStreamException => ReshError.Failed($"The data is corrupt{about}: {Describe(ex)}", "The input is damaged or not in the expected format.", Detail(ex)),
            RegexParseException rx => ReshError.Usage(RegexMessage(rx, null), "Check the pattern; escape a literal character with a backslash.", Detail(ex)),
            NotSupportedException => ReshError.Unsupported($"Not supported{about}: {Describe(ex)}", null, Detail(ex)),
            _ => ReshError.Failed($"Internal error{about}: {Describe(ex)}", "This is a bug in resh; rerun with --verbose and report it.", Detail(ex)),
        };
    }

    public static ReshError FromErrno(int errno, string about, Exception? ex = null, string? subject = null)
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
            ENAMETOOLONG => NameTooLong(subject, ex, details),
            40 => ReshError.Usage($"Too many levels of symbolic links{about}.", "A symlink loop is in the path.", details),
            95 or 38 => ReshError.Unsupported($"Operation not supported{about}.", null, details),
            61 => ReshError.NotFound($"No such attribute{about}.", null, details),
            _ => ReshError.Failed($"I/O error{about}: {Posix.StrError(errno)}.", null, details),
        };
    }

    /// <summary>ENAMETOOLONG as `usage`: a path component over 255 bytes, or a path over 4096.</summary>
    public static ReshError NameTooLong(string? path, Exception? ex = null, JsonObject? details = null)
    {
        details ??= ex is null ? new JsonObject() : Detail(ex);
        details["errno"] = ENAMETOOLONG;
        string message;
        if (path is not null && LongestComponent(path) is { } name && Encoding.UTF8.GetByteCount(name) > 255)
        {
            details["name_bytes"] = Encoding.UTF8.GetByteCount(name);
            message = $"A name in {Clip(path)} is longer than 255 bytes ({Encoding.UTF8.GetByteCount(name)} bytes), the limit of Linux file systems.";
        }
        else if (path is not null && Encoding.UTF8.GetByteCount(path) >= 4096)
            message = $"The path is longer than 4096 bytes ({Encoding.UTF8.GetByteCount(path)} bytes), the limit of Linux.";
        else
            message = $"A name is longer than 255 bytes{(path is null ? "" : $" in {Clip(path)}")}, or the path longer than 4096 bytes.";
        return ReshError.Usage(message, "Use a shorter name; each part of a path holds at most 255 bytes.", details);
    }

    static string? LongestComponent(string path)
    {
        string? best = null;
        foreach (var part in path.Split('/'))
            if (best is null || part.Length > best.Length) best = part;
        return best;
    }

    static string Clip(string s) => s.Length > 80 ? s[..40] + "…" + s[^20..] : s;

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
        ["reason"] = Describe(ex),
    };

    /// <summary>
    /// One sentence for a person describing <paramref name="ex"/>: its own message when that is a
    /// sentence, else a sentence made from its errno, its resource key or its type. Never a bare key.
    /// </summary>
    public static string Describe(Exception ex)
    {
        if (ex is AggregateException { InnerExceptions.Count: 1 } agg) return Describe(agg.InnerExceptions[0]);
        if (ex is RegexParseException rx) return RegexMessage(rx, null);
        if (ex is OutputStreamException o) return $"Could not write to standard output: {Posix.StrError(o.Errno)}.";
        var message = ex.Message ?? "";
        if (!IsResourceKey(message)) return Sentence(OneLine(message));
        if (KeySentence(message) is { } known) return known;
        if (ex is IOException io && Errno(io) is { } errno) return Sentence(Posix.StrError(errno));
        return ex switch
        {
            UnauthorizedAccessException => "Permission denied.",
            OverflowException => "A number is too large for the field that holds it.",
            FormatException => "A value is not in the expected format.",
            InvalidDataException => "The data is corrupt or not in the expected format.",
            EndOfStreamException => "The data ended before it was complete.",
            DecoderFallbackException => "The text is not valid UTF-8.",
            PathTooLongException => "A name is longer than 255 bytes, or the path longer than 4096 bytes.",
            FileNotFoundException or DirectoryNotFoundException => "No such file or directory.",
            OperationCanceledException => "The operation was cancelled.",
            TimeoutException => "The operation timed out.",
            ArgumentOutOfRangeException => "A value is out of range.",
            ArgumentException => "A value is not valid.",
            NotSupportedException => "The operation is not supported.",
            InvalidOperationException => "The operation is not valid in the current state.",
            IOException => "An input/output error occurred.",
            _ => $"{Words(ex.GetType().Name.Replace("Exception", ""))} ({Words(KeyName(message))}).",
        };
    }

    /// <summary>
    /// A message that is a runtime resource key rather than text: "Overflow_Int64",
    /// "IO_FileTooLong2GB", "UnauthorizedAccess_IODenied_Path, /x", "TarSizeFieldNegative".
    /// </summary>
    public static bool IsResourceKey(string message)
    {
        var key = KeyName(message);
        if (key.Length < 4 || key.Contains(' ')) return false;
        if (key.Contains('_')) return key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        // A lone PascalCase word with at least two capitals (TarSizeFieldNegative, UnsupportedCompression).
        return char.IsAsciiLetterUpper(key[0]) && key.All(char.IsAsciiLetterOrDigit) && key.Count(char.IsAsciiLetterUpper) >= 2;
    }

    /// <summary>With resource keys the runtime formats "Key, arg1, arg2": the key is the part before the first comma.</summary>
    static string KeyName(string message)
    {
        var comma = message.IndexOf(", ", StringComparison.Ordinal);
        return (comma > 0 ? message[..comma] : message).Trim();
    }

    static string? KeySentence(string message)
    {
        var key = KeyName(message);
        if (key.StartsWith("Overflow_", StringComparison.Ordinal)) return $"A number is too large for a {Words(key["Overflow_".Length..])}.";
        return key switch
        {
            "IO_FileTooLong2GB" or "IO_FileTooLong" => "The file is larger than 2 GiB, more than can be held in memory at once.",
            "IO_FileTooLongOrHandleNotSync" => "The file is too long.",
            "IO_EOF_ReadBeyondEOF" => "The data ended before it was complete.",
            "IO_SharingViolation_File" or "IO_SharingViolation_NoFileName" => "The file is in use by another process.",
            "IO_FileExists_Name" or "IO_AlreadyExists_Name" => "The file already exists.",
            "IO_PathTooLong" or "IO_PathTooLong_Path" => "A name is longer than 255 bytes, or the path longer than 4096 bytes.",
            "IO_PathNotFound_Path" or "IO_PathNotFound_NoPathName" or "IO_FileNotFound" or "IO_FileNotFound_FileName" => "No such file or directory.",
            "IO_DiskFull_Path_AllocationSize" => "No space left on device.",
            "IO_SeekBeforeBegin" => "A seek went before the start of the data.",
            "UnauthorizedAccess_IODenied_Path" or "UnauthorizedAccess_IODenied_NoPathName" or "UnauthorizedAccess_ReadOnlyFile" => "Permission denied.",
            "Arg_OverflowException" => "A number is too large.",
            "Arg_DivideByZero" => "Division by zero.",
            "Arg_NullReferenceException" => "A value was missing.",
            "Arg_IndexOutOfRangeException" or "ArgumentOutOfRange_Index" => "An index is out of range.",
            "Arg_InvalidCastException" => "A value has an unexpected type.",
            "Arg_KeyNotFound" or "Arg_KeyNotFoundWithKey" => "A key was not found.",
            "Format_InvalidString" or "Format_InvalidStringWithValue" => "A number or value is not in the expected format.",
            "Argument_InvalidCharSequence" or "Argument_InvalidCharSequenceNoIndex" => "The text is not valid UTF-8.",
            "InvalidOperation_EmptyQueue" or "InvalidOperation_EmptyStack" => "A collection was unexpectedly empty.",
            "net_http_request_timedout" => "The request timed out.",
            "ZLibErrorDLLLoadError" => "The zlib library could not be loaded.",
            "ZLibErrorInconsistentStream" or "ZLibErrorIncorrectInitParameters" or "ZLibErrorUnexpected" or "UnsupportedCompression"
                or "GenericInvalidData" or "InvalidBlockType" or "InvalidHuffmanData" or "UnknownBlockType" or "UnknownState" => "The compressed data is corrupt.",
            "TarSizeFieldNegative" or "TarSizeFieldTooLargeForEntryType" or "TarInvalidNumber" or "TarEntryFieldExceedsMaxLength"
                or "TarInvalidFormat" or "TarChecksumMismatch" => $"The tar header is corrupt ({Words(key["Tar".Length..])}).",
            _ => null,
        };
    }

    /// <summary>PascalCase or snake_case key as lowercase words: "UnterminatedBracket" → "unterminated bracket".</summary>
    public static string Words(string key)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c == '_') { if (sb.Length > 0 && sb[^1] != ' ') sb.Append(' '); continue; }
            if (char.IsAsciiLetterUpper(c) && i > 0 && sb.Length > 0 && sb[^1] != ' '
                && (char.IsAsciiLetterLower(key[i - 1]) || char.IsAsciiDigit(key[i - 1]) || (i + 1 < key.Length && char.IsAsciiLetterLower(key[i + 1]))))
                sb.Append(' ');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString().Trim();
    }

    /// <summary>"`pattern` is not a valid regular expression: unterminated [] set at position 3."</summary>
    public static string RegexMessage(RegexParseException ex, string? argName)
    {
        var what = ex.Error switch
        {
            RegexParseError.UnterminatedBracket => "an unterminated [] set",
            RegexParseError.InsufficientClosingParentheses => "a missing closing parenthesis",
            RegexParseError.InsufficientOpeningParentheses => "a closing parenthesis without an opening one",
            RegexParseError.QuantifierAfterNothing => "a quantifier (*, +, ?, {n}) with nothing before it",
            RegexParseError.NestedQuantifiersNotParenthesized => "two quantifiers in a row",
            RegexParseError.UnescapedEndingBackslash => "a backslash at the end of the pattern",
            RegexParseError.UnterminatedComment => "an unterminated (?#...) comment",
            RegexParseError.ReversedCharacterRange => "a range in reverse order, such as [z-a]",
            RegexParseError.ReversedQuantifierRange => "a quantifier range in reverse order, such as {3,1}",
            RegexParseError.UnrecognizedEscape => "an unknown escape sequence",
            RegexParseError.UndefinedNumberedReference or RegexParseError.UndefinedNamedReference => "a reference to a group that does not exist",
            RegexParseError.InvalidUnicodePropertyEscape or RegexParseError.UnrecognizedUnicodeProperty => "an unknown \\p{...} property",
            _ => Words(ex.Error.ToString()),
        };
        var subject = argName is null ? "The pattern" : $"`{argName}`";
        return $"{subject} is not a valid regular expression: {what} at position {ex.Offset}.";
    }

    static string Sentence(string s)
    {
        s = s.Trim();
        if (s.Length == 0) return "Unknown error.";
        if (char.IsAsciiLetterLower(s[0])) s = char.ToUpperInvariant(s[0]) + s[1..];
        return s.EndsWith('.') || s.EndsWith('?') || s.EndsWith('!') ? s : s + ".";
    }

    public static string OneLine(string s)
    {
        var line = s.ReplaceLineEndings(" ").Trim();
        if (IsResourceKey(line))
            line = ResourceTexts.ContainsKey(KeyName(line)) ? Readable(line) : KeySentence(line) ?? Readable(line);
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
