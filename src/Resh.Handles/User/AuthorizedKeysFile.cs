using System.Security.Cryptography;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Text;

namespace Resh.Handles.User;

/// <summary>
/// A user's ~/.ssh/authorized_keys: parsed line by line, replaced atomically, owned by the user with
/// sshd's StrictModes permissions (directory 0700, file 0600). A symlinked ~/.ssh or authorized_keys is
/// refused and every step works on descriptors, never by path: the user owns the home directory and can swap
/// its entries while root works there.
/// </summary>
public static class AuthorizedKeysFile
{
    public sealed record KeyLine(int Number, string Text, string? Options, string Type, string Blob, string? Comment)
    {
        public AuthorizedKeyEntry Entry => new(Type, Fingerprint(Blob), Comment, Options, Number);
    }

    public static string PathOf(UserCall call, PasswdRecord u) => Path.Combine(call.Root.File(u.Home), ".ssh", "authorized_keys");

    public static List<KeyLine> Parse(string content) =>
        AuthorizedKeyLine.ParseAll(content, requireBase64Blob: true).Select(k => Of(k.Key, k.Number)).ToList();

    /// <summary>A public key line, <c>[options] type base64 [comment]</c>; null when it is not one.</summary>
    public static KeyLine? ParseLine(string text, int number = 0) =>
        AuthorizedKeyLine.Parse(text, requireBase64Blob: true) is { } k ? Of(k, number) : null;

    static KeyLine Of(AuthorizedKeyLine k, int number) => new(number, k.Text, k.Options, k.Type, k.Blob, k.Comment);

    /// <summary>SHA256:base64 (no padding) of the key blob, as ssh-keygen -l prints it.</summary>
    public static string Fingerprint(string blob)
    {
        try { return "SHA256:" + Convert.ToBase64String(SHA256.HashData(Convert.FromBase64String(blob))).TrimEnd('='); }
        catch (FormatException) { return "invalid"; }
    }

    const string SshDir = ".ssh", FileName = "authorized_keys";

    /// <summary>
    /// The file's text ("" when absent). Everything is opened through descriptors: the home directory without
    /// following a final symlink, ~/.ssh and the file with O_NOFOLLOW, the file with O_NONBLOCK and checked to be
    /// a regular file, so a FIFO or device the user put there is refused, never read (a FIFO would block root).
    /// </summary>
    public static (bool Exists, string Content) Read(UserCall call, PasswdRecord u)
    {
        using var home = call.Root.OpenDir(u.Home);
        if (home is null) return (false, "");
        using var ssh = OpenSsh(home, u, create: false);
        if (ssh is null) return (false, "");
        var fd = Posix.OpenAt(ssh.Fd, FileName, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_NONBLOCK);
        if (fd == -Posix.ENOENT) return (false, "");
        var path = Path.Combine(ssh.Display, FileName);
        if (fd < 0) throw OpenError(-fd, path).ToException();
        using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        if (Posix.FStat(fd, out _) is not { IsRegular: true })
            throw ReshError.Conflict($"{path} is not a regular file; resh does not read it.", "Replace it with a plain file (sshd ignores anything else).").ToException();
        using var fs = new FileStream(handle, FileAccess.Read);
        using var reader = new StreamReader(fs, Encoding.UTF8);
        return (true, reader.ReadToEnd());
    }

    /// <summary>
    /// Replaces the file: ~/.ssh is created with mkdirat below the held home directory and given 0700 and the
    /// user's ownership through its descriptor; the new content goes to a temporary file created O_EXCL|O_NOFOLLOW
    /// below the held ~/.ssh, given its mode and owner through its descriptor, then renamed over the file within
    /// that same directory. The temporary file is removed on any failure.
    /// </summary>
    public static void Write(UserCall call, PasswdRecord owner, string content)
    {
        using var home = call.Root.OpenDir(owner.Home)
            ?? throw ReshError.NotFound($"The home directory {call.Root.File(owner.Home)} does not exist.", "Create it (user://NAME.modify home=... move_home=true) first.").ToException();
        using var ssh = OpenSsh(home, owner, create: true)!;
        var target = Path.Combine(ssh.Display, FileName);
        try
        {
            ssh.Replace(FileName, 0x180 /* 0600 */, fs =>
            {
                if (Posix.FChown((int)fs.SafeFileHandle.DangerousGetHandle(), (uint)owner.Uid, (uint)owner.Gid) != 0)
                    throw ReshError.PermissionDenied($"Cannot give {target} to {owner.Name}.", "Run resh as root.").ToException();
                fs.Write(Encoding.UTF8.GetBytes(content));
            });
        }
        catch (IOException e) { throw OpenError(e.HResult, target, e.Message).ToException(); }
    }

    static DirHandle? OpenSsh(DirHandle home, PasswdRecord owner, bool create)
    {
        try
        {
            var existing = home.OpenBeneath(SshDir, create: false);
            if (existing is not null || !create) return existing;
            var made = home.OpenBeneath(SshDir, create: true, mode: 0x1c0 /* 0700 */)!;
            if (Posix.FChmod(made.Fd, 0x1c0) != 0 || Posix.FChown(made.Fd, (uint)owner.Uid, (uint)owner.Gid) != 0)
            {
                made.Dispose();
                throw ReshError.PermissionDenied($"Cannot give {Path.Combine(home.Display, SshDir)} to {owner.Name}.", "Run resh as root.").ToException();
            }
            return made;
        }
        catch (IOException e) { throw UserRoot.Refused(e, Path.Combine(home.Display, SshDir)).ToException(); }
    }

    static ReshError OpenError(int errno, string path, string? message = null) => errno switch
    {
        Posix.EACCES or Posix.EPERM => ReshError.PermissionDenied($"{path}: permission denied.", "Run resh as root (or as the user)."),
        Posix.ELOOP => ReshError.Conflict($"{path} is a symbolic link; resh does not follow it when editing keys.", "Replace the link with a real file."),
        _ => ReshError.Conflict(message ?? $"{path}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}", null),
    };
}
