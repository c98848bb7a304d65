using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.User;

[Description("One account as user.list shows it.")]
public sealed record UserSummary(
    string Name,
    long Uid,
    long Gid,
    [property: Description("Primary group name.")] string? Group,
    string Home,
    string Shell,
    string Gecos,
    [property: Description("human (UID_MIN..UID_MAX of login.defs) or system.")] string Kind);

public sealed record UserListResult(
    int Count,
    [property: Description("Where the accounts were read: nss (getpwent, so LDAP/SSSD users count) or files under root=.")] string Source,
    IReadOnlyList<UserSummary> Users);

[Description("Last login from lastlog.")]
public sealed record LastLogin(
    [property: Description("RFC 3339, UTC.")] string Time,
    string? Line,
    string? Host);

public sealed record UserInfo(
    string Name,
    bool Exists,
    long Uid,
    long Gid,
    string? Group,
    [property: Description("Supplementary groups, sorted.")] IReadOnlyList<string> Groups,
    string Home,
    bool HomeExists,
    string Shell,
    string Gecos,
    string Kind,
    [property: Description("True when the password hash is disabled with a leading `!` (usermod -L).")] bool? Locked,
    [property: Description("set, locked, empty (no password needed), none (no password: `*` or `!` alone); null when /etc/shadow is not readable.")] string? Password,
    [property: Description("Date of the last password change (YYYY-MM-DD); null when unknown.")] string? PasswordChanged,
    [property: Description("True when the user must change the password at next login (last change = 0).")] bool? PasswordMustChange,
    int? PasswordMinDays,
    int? PasswordMaxDays,
    int? PasswordWarnDays,
    int? PasswordInactiveDays,
    [property: Description("When the password expires (last change + max days); null when it never does or is unknown.")] string? PasswordExpires,
    [property: Description("Account expiry date (YYYY-MM-DD); null when it never expires or is unknown.")] string? AccountExpires,
    LastLogin? LastLogin);

public sealed record UserExistsResult(string Name, bool Exists, long? Uid);

[Description("One field that differs between the account and the request.")]
public sealed record FieldChange(string Field, string? From, string? To);

public sealed record UserChangeResult(
    string Name,
    [property: Description("What was done (or, under --dry-run, would be): created, modified, deleted, locked, unlocked, password_set, expiry_set, or none.")] string Action,
    [property: Description("Per-field differences; empty when nothing changed.")] IReadOnlyList<FieldChange> Changes,
    [property: Description("The programs run (or that would run), as argv; secrets never appear here (they go through stdin).")] IReadOnlyList<IReadOnlyList<string>> Commands,
    [property: Description("The account afterwards (null once deleted, or under --dry-run for a new account).")] UserInfo? User);

public sealed record GroupEntry(
    string Name,
    long Gid,
    [property: Description("Members listed in the group file (supplementary).")] IReadOnlyList<string> Members,
    [property: Description("Users whose primary group this is.")] IReadOnlyList<string> PrimaryMembers,
    string Kind);

public sealed record GroupListResult(int Count, string Source, IReadOnlyList<GroupEntry> Groups);

public sealed record GroupChangeResult(
    string Group,
    string Action,
    IReadOnlyList<FieldChange> Changes,
    IReadOnlyList<IReadOnlyList<string>> Commands,
    GroupEntry? Entry);

public sealed record SudoResult(
    [property: Description("The user (or %group) the rule is for.")] string Principal,
    [property: Description("The drop-in file under /etc/sudoers.d.")] string Path,
    [property: Description("The rule line; null after revoke.")] string? Rule,
    [property: Description("Unified diff of the drop-in (null when unchanged).")] string? Diff);

[Description("One public key of authorized_keys.")]
public sealed record AuthorizedKeyEntry(
    string Type,
    [property: Description("SHA256:... as ssh-keygen -l prints it.")] string Fingerprint,
    string? Comment,
    string? Options,
    [property: Description("1-based line number in the file.")] int Line);

public sealed record KeysListResult(string User, string Path, bool Exists, int Count, IReadOnlyList<AuthorizedKeyEntry> Keys);

public sealed record KeyChangeResult(
    string User,
    string Path,
    [property: Description("Keys added or removed.")] IReadOnlyList<AuthorizedKeyEntry> Keys,
    [property: Description("Keys in the file afterwards.")] int Count,
    string? Diff);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(UserListResult))]
[JsonSerializable(typeof(UserInfo))]
[JsonSerializable(typeof(UserExistsResult))]
[JsonSerializable(typeof(UserChangeResult))]
[JsonSerializable(typeof(GroupListResult))]
[JsonSerializable(typeof(GroupEntry))]
[JsonSerializable(typeof(GroupChangeResult))]
[JsonSerializable(typeof(SudoResult))]
[JsonSerializable(typeof(KeysListResult))]
[JsonSerializable(typeof(KeyChangeResult))]
internal sealed partial class UserJson : JsonSerializerContext;
