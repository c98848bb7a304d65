using System.Text;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Mail;

/// <summary>
/// Saves attachments into one directory without letting the message choose where: the sender's file name is
/// reduced to a plain name (no directory part, no `..`, no control characters, at most 200 bytes), files are
/// created beneath a held directory descriptor with O_EXCL|O_NOFOLLOW (never through a symbolic link), and an
/// existing file is replaced only when overwrite was asked for, by renaming a new file over it (the link itself,
/// never its target).
/// </summary>
internal sealed class AttachmentSaver : IDisposable
{
    readonly DirHandle _dir;
    readonly bool _overwrite;
    readonly HashSet<string> _used = new(StringComparer.Ordinal);

    AttachmentSaver(DirHandle dir, bool overwrite) { _dir = dir; _overwrite = overwrite; }

    public string Directory => _dir.Display;

    /// <summary>Opens (creating when missing) the destination directory the user named.</summary>
    public static AttachmentSaver Open(string path, bool overwrite)
    {
        try
        {
            System.IO.Directory.CreateDirectory(path);
            return new AttachmentSaver(DirHandle.Open(Path.GetFullPath(path)), overwrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ExceptionTranslation.ToError(e, path).ToException();
        }
    }

    /// <summary>A safe file name for what the message calls <paramref name="name"/>; <paramref name="index"/> names nameless parts.</summary>
    public static string SafeName(string? name, int index)
    {
        var s = (name ?? "").Replace('\\', '/');
        s = s[(s.LastIndexOf('/') + 1)..];
        var sb = new StringBuilder(s.Length);
        foreach (var c in s) sb.Append(char.IsControl(c) || c is '\u2028' or '\u2029' ? '_' : c);
        s = sb.ToString().Trim().TrimStart('.');
        if (s.Length == 0) s = $"attachment-{index}";
        while (Encoding.UTF8.GetByteCount(s) > 200) s = s[..^1];
        return s;
    }

    /// <summary>
    /// Checks, before anything is written, that none of the names <see cref="Save"/> will use exists already (unless
    /// overwrite was asked for), so that a conflict leaves the directory as it was instead of half-filled.
    /// </summary>
    public void CheckFree(IReadOnlyList<string> safeNames)
    {
        if (_overwrite) return;
        var planned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var safeName in safeNames)
        {
            var name = safeName;
            if (!planned.Add(name))
            {
                var stem = Path.GetFileNameWithoutExtension(safeName);
                var ext = Path.GetExtension(safeName);
                for (var i = 2; !planned.Add(name = $"{stem}-{i}{ext}"); i++) { }
            }
            if (Posix.StatAt(_dir.Fd, name, follow: false, out _) is not null)
            {
                var full = Path.Combine(_dir.Display, name);
                throw ReshError.Conflict($"{full} already exists; no attachment was saved.",
                    "Give overwrite=true to replace it, or another dir=.", new System.Text.Json.Nodes.JsonObject { ["path"] = full }).ToException();
            }
        }
    }

    /// <summary>Writes one attachment; returns the path it was saved at. An existing file without overwrite is a conflict.</summary>
    public string Save(string safeName, ReadOnlySpan<byte> bytes)
    {
        var name = safeName;
        if (!_used.Add(name))
        {
            var stem = Path.GetFileNameWithoutExtension(safeName);
            var ext = Path.GetExtension(safeName);
            for (var i = 2; !_used.Add(name = $"{stem}-{i}{ext}"); i++) { }
        }
        var full = Path.Combine(_dir.Display, name);
        var temp = $".{name}.resh-{Environment.ProcessId}-{Random.Shared.Next():x8}";
        try
        {
            using (var stream = _dir.CreateNew(temp, 0x1a4 /* 0644 */))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            var rc = Posix.RenameAt(_dir.Fd, temp, _dir.Fd, name, _overwrite ? 0 : Posix.RENAME_NOREPLACE);
            if (rc == Posix.EEXIST)
            {
                throw ReshError.Conflict($"{full} already exists; nothing was overwritten.",
                    "Give overwrite=true to replace it, or another dir=.", new System.Text.Json.Nodes.JsonObject { ["path"] = full }).ToException();
            }
            if (rc != 0) throw ExceptionTranslation.FromErrno(rc, $": {full}").ToException();
            temp = "";
            return full;
        }
        catch (IOException e)
        {
            throw ExceptionTranslation.ToError(e, full).ToException();
        }
        finally
        {
            if (temp.Length > 0) _dir.Unlink(temp);
        }
    }

    public void Dispose() => _dir.Dispose();
}
