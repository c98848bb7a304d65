using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>Names, values and errors of extended attributes, shared by the ea.* verbs.</summary>
internal static class ExtendedAttributes
{
    static readonly string[] Namespaces = ["user.", "trusted.", "security.", "system."];

    /// <summary>A full attribute name: one without a known namespace goes to <c>user.</c>, as setfattr users expect.</summary>
    public static string FullName(string name)
    {
        var n = name.Trim();
        if (n.Length == 0) throw ReshError.Usage("The attribute name is empty.", "Give name=user.comment (or just comment).").ToException();
        foreach (var ns in Namespaces)
        {
            if (!n.StartsWith(ns, StringComparison.Ordinal)) continue;
            if (n.Length == ns.Length) throw ReshError.Usage($"`{name}` has a namespace but no name.", $"Example: {ns}comment").ToException();
            return n;
        }
        return "user." + n;
    }

    /// <summary>Text when the value is UTF-8 text (or asked for), else base64; null when text was demanded of binary.</summary>
    public static (string Value, string Encoding)? Encode(byte[] value, string encoding)
    {
        bool isText = FileContent.IsText(value);
        if (encoding == "base64" || (encoding == "auto" && !isText)) return (Convert.ToBase64String(value), "base64");
        if (!isText) return null;
        return (Encoding.UTF8.GetString(value), "text");
    }

    public static ReshError Error(int errno, string path, string name, string action)
    {
        var details = new JsonObject { ["path"] = path, ["name"] = name, ["errno"] = errno };
        return errno switch
        {
            Posix.ENOTSUP => ReshError.Unsupported($"The file system holding {path} does not support the `{name}` attribute.",
                "user.* attributes need a file system mounted with xattr support (ext4, xfs, btrfs, tmpfs ≥ 6.6); symlinks cannot carry user.* attributes.", details),
            Posix.ERANGE or 7 /* E2BIG */ or 28 /* ENOSPC */ => ReshError.Failed($"The value of `{name}` is too large for {path}.", "ext4 allows about 4 KiB per file in total.", details),
            FileNative.EPERM or FileNative.EACCES => ReshError.PermissionDenied($"Cannot {action} `{name}` on {path}: permission denied.",
                name.StartsWith("trusted.", StringComparison.Ordinal) || name.StartsWith("security.", StringComparison.Ordinal)
                    ? "trusted.* and security.* attributes need root (CAP_SYS_ADMIN)." : "You need write access to the file to change its attributes.", details),
            _ => FileErrors.FromErrno(errno, path, $"{action} the attribute {name} of"),
        };
    }
}
