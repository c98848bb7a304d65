using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;

namespace Resh.Handles.Archive;

/// <summary>
/// The one place where what goes wrong inside an archive becomes an envelope: damage is <c>failed</c>
/// with a sentence naming the archive, the entry and the problem (never the "bug in resh" path); a
/// method or extension resh cannot read is <c>unsupported</c>; a wrong password is
/// <c>permission_denied</c>. The runtime's own messages are resource keys in the native build, so
/// exceptions from the BCL and libraries are described by their type.
/// </summary>
public static class ArchiveErrors
{
    /// <summary>True for exceptions that mean "the archive is damaged or unreadable", as opposed to resh's own errors.</summary>
    public static bool IsArchiveFault(Exception ex) => ex is ArchiveCorruptException or ArchiveUnsupportedException or WrongPasswordException
        or InvalidDataException or EndOfStreamException or FormatException or OverflowException
        || Library(ex);

    /// <summary>Exceptions of the decoding libraries (the readers wrap the rest of what those libraries throw).</summary>
    static bool Library(Exception ex)
    {
        var ns = ex.GetType().Namespace ?? "";
        return ns.StartsWith("SharpCompress", StringComparison.Ordinal) || ns.StartsWith("ZstdSharp", StringComparison.Ordinal);
    }

    /// <summary>A sentence for what the exception says about the data.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        ArchiveCorruptException or ArchiveUnsupportedException or WrongPasswordException => ex.Message,
        InvalidDataException => "the compressed data is corrupt",
        EndOfStreamException => "the data ends early (truncated)",
        FormatException or OverflowException => "a header field holds an invalid number",
        SharpCompress.Common.CryptographicException => "the password does not decrypt the data (or it is damaged)",
        _ => $"the data is damaged ({ex.GetType().Name})",
    };

    /// <summary>The envelope error for an archive fault met while reading <paramref name="archive"/> at <paramref name="entry"/>.</summary>
    public static ReshError Translate(Exception ex, string archive, string? entry, string? afterwards = null)
    {
        var where = entry is null ? "" : $" at entry {PathBytes.Display(entry)}";
        var details = new JsonObject { ["archive"] = PathBytes.Display(archive) };
        if (entry is not null) details["entry"] = PathBytes.Display(entry);
        details["problem"] = Describe(ex);
        return ex switch
        {
            WrongPasswordException => ReshError.PermissionDenied($"The password does not decrypt {PathBytes.Display(archive)}{where}.", "Check the password.", details),
            ArchiveUnsupportedException u => ReshError.Unsupported($"{PathBytes.Display(archive)}{where}: {u.Message}.", u.Hint, details),
            _ => ReshError.Failed($"{PathBytes.Display(archive)} is damaged{where}: {Describe(ex)}.", afterwards ?? "Check the archive with `test`; restore it from a good copy.", details),
        };
    }

    /// <summary>errno from a file operation on a named path, with the two cases operators meet most said plainly.</summary>
    public static ReshError FromErrno(int errno, string path)
    {
        if (errno == 36)
            return ReshError.Usage($"A name in {PathBytes.Display(path)} is longer than 255 bytes (the file system's limit).", "Use a shorter name.",
                new JsonObject { ["errno"] = errno, ["path"] = PathBytes.Display(path) });
        return ExceptionTranslation.FromErrno(errno, $" ({PathBytes.Display(path)})");
    }
}
