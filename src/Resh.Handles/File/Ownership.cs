using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// An owner and/or group given as names or numeric ids, resolved through NSS; null keeps the current one.
/// Ids are unsigned 32-bit as uid_t and gid_t are (3000000000 is a valid uid); 4294967295 is (uid_t)-1,
/// which chown(2) reads as "leave unchanged", so it is refused.
/// </summary>
internal readonly record struct Ownership(uint? Uid, uint? Gid)
{
    public static readonly Ownership Keep = new(null, null);

    public bool IsKeep => Uid is null && Gid is null;

    public static Ownership Resolve(string? owner, string? group)
    {
        uint? uid = null, gid = null;
        if (!string.IsNullOrWhiteSpace(owner))
        {
            var id = Users.ResolveUid(owner.Trim());
            if (id is null)
                throw ReshError.NotFound($"No user named `{owner}`.", "Give an existing user name or a numeric uid (getent passwd lists them).",
                    new JsonObject { ["owner"] = owner }).ToException();
            uid = Check(id.Value, "owner", owner);
        }
        if (!string.IsNullOrWhiteSpace(group))
        {
            var id = Users.ResolveGid(group.Trim());
            if (id is null)
                throw ReshError.NotFound($"No group named `{group}`.", "Give an existing group name or a numeric gid (getent group lists them).",
                    new JsonObject { ["group"] = group }).ToException();
            gid = Check(id.Value, "group", group);
        }
        return new Ownership(uid, gid);
    }

    static uint Check(uint id, string arg, string given) => id != uint.MaxValue ? id
        : throw ReshError.Usage($"`{arg}={given}` is (uid_t)-1, which chown reads as \"leave unchanged\".", "Ids go from 0 to 4294967294.",
            new JsonObject { [arg] = given }).ToException();

    /// <summary>True when applying this would change the owner or group of a file with <paramref name="st"/>.</summary>
    public bool Differs(FileStatus st) => (Uid is { } u && u != st.Uid) || (Gid is { } g && g != st.Gid);

    /// <summary>chown(2)'s arguments: -1 keeps one.</summary>
    public uint UidArg => Uid ?? uint.MaxValue;
    public uint GidArg => Gid ?? uint.MaxValue;
}
