using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>An owner and/or group given as names or numeric ids, resolved through NSS; -1 keeps the current one.</summary>
internal readonly record struct Ownership(int Uid, int Gid)
{
    public static readonly Ownership Keep = new(-1, -1);

    public bool IsKeep => Uid < 0 && Gid < 0;

    public static Ownership Resolve(string? owner, string? group)
    {
        int uid = -1, gid = -1;
        if (!string.IsNullOrWhiteSpace(owner))
        {
            var id = Users.ResolveUid(owner.Trim());
            if (id is null)
                throw ReshError.NotFound($"No user named `{owner}`.", "Give an existing user name or a numeric uid (getent passwd lists them).",
                    new JsonObject { ["owner"] = owner }).ToException();
            uid = (int)id.Value;
        }
        if (!string.IsNullOrWhiteSpace(group))
        {
            var id = Users.ResolveGid(group.Trim());
            if (id is null)
                throw ReshError.NotFound($"No group named `{group}`.", "Give an existing group name or a numeric gid (getent group lists them).",
                    new JsonObject { ["group"] = group }).ToException();
            gid = (int)id.Value;
        }
        return new Ownership(uid, gid);
    }

    /// <summary>True when applying this would change the owner or group of a file with <paramref name="st"/>.</summary>
    public bool Differs(FileStatus st) => (Uid >= 0 && (uint)Uid != st.Uid) || (Gid >= 0 && (uint)Gid != st.Gid);

    public void Apply(string path, bool follow)
    {
        if (IsKeep) return;
        FileErrors.Check(Posix.Chown(path, Uid, Gid, follow), path, "change the owner of");
    }
}
