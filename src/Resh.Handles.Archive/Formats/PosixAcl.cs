using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Resh.Core.Platform;

namespace Resh.Handles.Archive.Formats;

/// <summary>
/// POSIX ACLs between the kernel's xattr form (system.posix_acl_access/default) and the text tars
/// store in SCHILY.acl.access/default ("user::rw-,user:bob:rwx,group::r--,mask::rwx,other::r--", as GNU
/// tar --acls writes; star's and bsdtar's trailing ":uid" is read too). No libacl needed.
/// </summary>
public static class PosixAcl
{
    public const string AccessXattr = "system.posix_acl_access", DefaultXattr = "system.posix_acl_default";
    const ushort UserObj = 1, User = 2, GroupObj = 4, Group = 8, Mask = 0x10, Other = 0x20;
    const uint Undefined = 0xFFFFFFFF;

    /// <summary>The text form, or null when the xattr holds only the three entries the mode already says.</summary>
    public static string? ToText(byte[] xattr, bool isDefault)
    {
        if (xattr.Length < 4 || (xattr.Length - 4) % 8 != 0 || BinaryPrimitives.ReadUInt32LittleEndian(xattr) != 2) return null;
        var parts = new List<string>();
        var extended = false;
        for (int p = 4; p < xattr.Length; p += 8)
        {
            var tag = BinaryPrimitives.ReadUInt16LittleEndian(xattr.AsSpan(p));
            var perm = BinaryPrimitives.ReadUInt16LittleEndian(xattr.AsSpan(p + 2));
            var id = BinaryPrimitives.ReadUInt32LittleEndian(xattr.AsSpan(p + 4));
            var perms = $"{((perm & 4) != 0 ? 'r' : '-')}{((perm & 2) != 0 ? 'w' : '-')}{((perm & 1) != 0 ? 'x' : '-')}";
            switch (tag)
            {
                case UserObj: parts.Add("user::" + perms); break;
                case GroupObj: parts.Add("group::" + perms); break;
                case Other: parts.Add("other::" + perms); break;
                case Mask: parts.Add("mask::" + perms); extended = true; break;
                case User: parts.Add($"user:{Users.UserName(id) ?? id.ToString(CultureInfo.InvariantCulture)}:{perms}"); extended = true; break;
                case Group: parts.Add($"group:{Users.GroupName(id) ?? id.ToString(CultureInfo.InvariantCulture)}:{perms}"); extended = true; break;
            }
        }
        return extended || isDefault ? string.Join(',', parts) : null;
    }

    /// <summary>The xattr form of a text ACL; null (with the reason) when it cannot be read.</summary>
    public static byte[]? FromText(string text, out string? problem)
    {
        problem = null;
        var entries = new List<(ushort Tag, ushort Perm, uint Id)>();
        foreach (var raw in text.Split([',', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var line = raw;
            var hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash].Trim();
            if (line.Length == 0) continue;
            var f = line.Split(':');
            if (f.Length < 3) { problem = $"`{raw}` is not an ACL entry"; return null; }
            var tagName = f[0];
            if (tagName == "default" && f.Length >= 4) { f = f[1..]; tagName = f[0]; }
            ushort perm = 0;
            foreach (var c in f[2])
            {
                if (c == 'r') perm |= 4;
                else if (c == 'w') perm |= 2;
                else if (c == 'x') perm |= 1;
                else if (c != '-') { problem = $"`{raw}` has invalid permissions"; return null; }
            }
            var qualifier = f[1];
            var numeric = f.Length >= 4 ? f[3] : null;
            switch (tagName)
            {
                case "user" or "u" when qualifier.Length == 0: entries.Add((UserObj, perm, Undefined)); break;
                case "group" or "g" when qualifier.Length == 0: entries.Add((GroupObj, perm, Undefined)); break;
                case "other" or "o": entries.Add((Other, perm, Undefined)); break;
                case "mask" or "m": entries.Add((Mask, perm, Undefined)); break;
                case "user" or "u":
                {
                    var id = Users.ResolveUid(qualifier) ?? (numeric is not null && uint.TryParse(numeric, out var n) ? n : null);
                    if (id is null) { problem = $"user `{qualifier}` is unknown here"; return null; }
                    entries.Add((User, perm, id.Value));
                    break;
                }
                case "group" or "g":
                {
                    var id = Users.ResolveGid(qualifier) ?? (numeric is not null && uint.TryParse(numeric, out var n) ? n : null);
                    if (id is null) { problem = $"group `{qualifier}` is unknown here"; return null; }
                    entries.Add((Group, perm, id.Value));
                    break;
                }
                default: problem = $"`{raw}` has an unknown tag"; return null;
            }
        }
        if (entries.Count == 0) { problem = "the ACL is empty"; return null; }
        entries.Sort((a, b) => a.Tag != b.Tag ? a.Tag.CompareTo(b.Tag) : a.Id.CompareTo(b.Id));
        var x = new byte[4 + 8 * entries.Count];
        BinaryPrimitives.WriteUInt32LittleEndian(x, 2);
        for (int i = 0; i < entries.Count; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(x.AsSpan(4 + 8 * i), entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(x.AsSpan(6 + 8 * i), entries[i].Perm);
            BinaryPrimitives.WriteUInt32LittleEndian(x.AsSpan(8 + 8 * i), entries[i].Id);
        }
        return x;
    }
}
