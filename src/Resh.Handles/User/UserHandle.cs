using Resh.Core.Model;

namespace Resh.Handles.User;

/// <summary>user:// — accounts, groups, sudo rights and SSH keys, through the system's own account tools.</summary>
public static class UserHandle
{
    public static HandleInfo Create() => new("user",
        "Accounts and groups: list, info, add/modify/ensure/delete, lock, passwords, expiry, group membership, sudo rights, SSH keys.",
        "A user (user://deploy), a group (user://group/developers), or empty for lists (user://.list, user://.group.list).",
        [
            UserList.Verb,
            UserInfoVerb.Verb,
            UserExists.Verb,
            UserAdd.Verb,
            UserModify.Verb,
            UserEnsure.Verb,
            UserDelete.Verb,
            UserLock.Verb,
            UserUnlock.Verb,
            UserPasswd.Verb,
            UserExpire.Verb,
            GroupList.Verb,
            GroupMembers.Verb,
            GroupAdd.Verb,
            GroupDelete.Verb,
            MemberChange.Add,
            MemberChange.Remove,
            UserSudoGrant.Verb,
            UserSudoRevoke.Verb,
            UserKeysList.Verb,
            UserKeyAdd.Verb,
            UserKeyRemove.Verb,
        ])
    {
        Notes = "Changes go through the system's account tools as argv (shadow-utils: useradd, usermod, userdel, groupadd, groupdel, gpasswd, chpasswd, chage; "
            + "or busybox's adduser/addgroup/deluser/delgroup on Alpine, detected when useradd is missing; backend= overrides), so locking, nscd and audit hooks behave as for an operator. "
            + "root=DIR manages the accounts of an image or chroot (the tools' --root). Reads use NSS (as getent) on the running system and the files below root= otherwise; "
            + "/etc/shadow fields need root. Every change is idempotent and reports per-field changes and the exact commands; --dry-run runs nothing. "
            + "Groups are addressed as user://group/NAME. Passwords never reach argv: resh hashes them with crypt(3) and pipes `name:hash` to chpasswd -e.",
    };
}
