using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Net.Http;

/// <summary>
/// A file sent as a request body (upload file=, body=@FILE): checked once up front (exists, not a directory,
/// readable), then opened anew for every attempt. The length comes from the opened descriptor (fstat), so a
/// symbolic link sends its target's size; a file whose size the kernel does not know (procfs, a FIFO: fstat
/// says 0) is sent with chunked transfer encoding, as curl -T does.
/// </summary>
internal static class BodyFile
{
    /// <summary>The full path of a readable regular file (or a special file with data), or the envelope error why not.</summary>
    public static string Check(string given, string what, string hint)
    {
        var path = Path.GetFullPath(given);
        // Under a surface's path patterns nothing is looked at by name first: the open (through descriptors) is judged.
        if (PathConfinement.Active)
        {
            try { using var confined = Open(path); }
            catch (FileNotFoundException) { throw ReshError.NotFound($"The {what} {path} does not exist.", hint).ToException(); }
            catch (UnauthorizedAccessException) { throw ReshError.PermissionDenied($"Cannot read the {what} {path}.", null).ToException(); }
            catch (IOException e) { throw ReshError.Failed($"Cannot open the {what} {path}: {ExceptionTranslation.OneLine(e.Message)}", hint).ToException(); }
            return path;
        }
        if (Directory.Exists(path))
            throw ReshError.Usage($"The {what} {path} is a directory.", hint).ToException();
        if (!File.Exists(path))
            throw ReshError.NotFound($"The {what} {path} does not exist.", hint).ToException();
        try { using var probe = Open(path); }
        catch (UnauthorizedAccessException) { throw ReshError.PermissionDenied($"Cannot read the {what} {path}.", null).ToException(); }
        catch (IOException e) { throw ReshError.Failed($"Cannot open the {what} {path}: {ExceptionTranslation.OneLine(e.Message)}", hint).ToException(); }
        return path;
    }

    /// <summary>The body for one attempt: Content-Length from the opened file, chunked when it reports no size.</summary>
    public static HttpContent Content(string path, string contentType)
    {
        var fs = Open(path);
        long? length = null;
        try
        {
            if (fs.CanSeek && fs.Length > 0) length = fs.Length; // fstat of this descriptor, never the link's own size
        }
        catch (IOException) { }
        var content = HttpRequestSpec.Stream(fs, contentType, length);
        if (length is null) content.Headers.ContentLength = null;
        return content;
    }

    /// <summary>
    /// Opens the file; under a surface's path patterns through descriptors, judged as a read on the kernel's name of the
    /// open file (PathConfinement), so a symlink swapped after the check by name cannot send another file.
    /// </summary>
    internal static FileStream Open(string path)
    {
        var handle = PathConfinement.OpenRead(path, Posix.O_RDONLY, out var errno, out var confined);
        if (!confined) return new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (handle is null)
            throw errno switch
            {
                Posix.ENOENT => new FileNotFoundException(Posix.StrError(errno)),
                Posix.EACCES or Posix.EPERM => new UnauthorizedAccessException(Posix.StrError(errno)),
                _ => new IOException(Posix.StrError(errno)),
            };
        if (Posix.FStat((int)handle.DangerousGetHandle(), out _) is { IsDirectory: true })
        {
            handle.Dispose();
            throw new IOException("Is a directory");
        }
        return new FileStream(handle, FileAccess.Read, 1);
    }
}
