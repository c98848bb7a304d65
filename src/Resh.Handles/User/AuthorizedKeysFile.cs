using System.Security.Cryptography;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Text;

namespace Resh.Handles.User;

/// <summary>
/// A user's ~/.ssh/authorized_keys: parsed line by line, replaced atomically, owned by the user with
/// sshd's StrictModes permissions (directory 0700, file 0600). A symlinked ~/.ssh or authorized_keys is
/// refused: root following a user's symlink could be made to overwrite any file.
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

    /// <summary>The file's text ("" when absent), after checking nothing on the way is a symlink.</summary>
    public static (bool Exists, string Content) Read(string path)
    {
        CheckNoSymlinks(path);
        if (!File.Exists(path)) return (false, "");
        return (true, File.ReadAllText(path));
    }

    public static void Write(string path, string content, PasswdRecord owner)
    {
        CheckNoSymlinks(path);
        var dir = Path.GetDirectoryName(path)!;
        var home = Path.GetDirectoryName(dir)!;
        if (!Directory.Exists(home))
            throw ReshError.NotFound($"The home directory {home} does not exist.", "Create it (user://NAME.modify home=... move_home=true) first.").ToException();
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, (UnixFileMode)0x1c0 /* 0700 */);
            File.SetUnixFileMode(dir, (UnixFileMode)0x1c0);
            Chown(dir, owner);
        }
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(content), (UnixFileMode)0x180 /* 0600 */, temp => Chown(temp, owner));
    }

    static void Chown(string path, PasswdRecord owner)
    {
        if (Posix.Chown(path, (int)owner.Uid, (int)owner.Gid, follow: false) != 0)
            throw ReshError.PermissionDenied($"Cannot give {path} to {owner.Name}.", "Run resh as root.").ToException();
    }

    static void CheckNoSymlinks(string path)
    {
        foreach (var p in new[] { Path.GetDirectoryName(path)!, path })
        {
            var info = new FileInfo(p);
            if (info.LinkTarget is not null || (Directory.Exists(p) && new DirectoryInfo(p).LinkTarget is not null))
                throw ReshError.Conflict($"{p} is a symbolic link; resh does not follow it when editing keys.", "Replace the link with a real directory/file.").ToException();
        }
    }
}
