using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.User;

/// <summary>The account attributes add, modify and ensure take, and how a request compares with an account.</summary>
public static class UserAttributes
{
    public static readonly Arg<long?> Uid = Arg.Int("uid", "Numeric user id (default: the next free one).", min: 0, max: 4294967294);
    public static readonly Arg<string?> Group = Arg.String("group", "Primary group, by name or GID (default: a new group named like the user).", examples: ["users"]);
    public static readonly Arg<IReadOnlyList<string>> Groups = Arg.List("groups", "Supplementary groups (exactly these unless append=true).", examples: ["adm,sudo"]);
    public static readonly Arg<bool> Append = Arg.Bool("append", "Add to the listed supplementary groups instead of setting exactly them.");
    public static readonly Arg<string?> Home = Arg.String("home", "Home directory (default: HOME of /etc/default/useradd plus the name).", examples: ["/home/deploy"], path: PathUse.Write);
    public static readonly Arg<string?> Shell = Arg.String("shell", "Login shell.", examples: ["/bin/bash", "/usr/sbin/nologin"]);
    public static readonly Arg<string?> Comment = Arg.String("comment", "The GECOS field (full name and so on).", aliases: ["gecos"]);
    public static readonly Arg<bool> CreateHome = Arg.Bool("create_home", "Create the home directory from /etc/skel (default true, false for system=true).", true);
    public static readonly Arg<bool> MoveHome = Arg.Bool("move_home", "When home changes, move the old directory's contents there.");
    public static readonly Arg<bool> System = Arg.Bool("system", "A system account (UID below UID_MIN, no aging, no home unless create_home=true).");
    public static readonly Arg<string?> Expires = Arg.String("expires", "Account expiry date (YYYY-MM-DD), or `never`.", examples: ["2027-06-30", "never"]);

    public static readonly ArgInfo[] ForAdd = [Uid, Group, Groups, Home, Shell, Comment, CreateHome, System, Expires];
    public static readonly ArgInfo[] ForModify = [Uid, Group, Groups, Append, Home, MoveHome, Shell, Comment, Expires];

    /// <summary>The request for a new account, validated (groups must exist).</summary>
    public static NewUser NewUserFrom(UserCall call, string name)
    {
        var ctx = call.Ctx;
        var system = ctx.Get(System);
        var create = ctx.IsSet(CreateHome) ? ctx.Get(CreateHome) : !system;
        var expires = ExpiryArg(ctx);
        if (expires == "never") expires = null;
        return new NewUser(name, ctx.Get(Uid), CheckedGroup(call), CheckedGroups(call), PathArg(ctx, Home, "home"), PathArg(ctx, Shell, "shell"),
            ctx.Get(Comment) is { } c ? AccountNames.CheckField(c, "comment") : null, create, system, expires);
    }

    /// <summary>The fields of <paramref name="u"/> that differ from what was asked, as usermod arguments (null fields unchanged).</summary>
    public static (UserEdit Edit, List<FieldChange> Changes) Compare(UserCall call, UserInfo u)
    {
        var ctx = call.Ctx;
        var changes = new List<FieldChange>();
        long? uid = ctx.Get(Uid);
        if (uid is { } wantUid && wantUid != u.Uid) changes.Add(new("uid", Num(u.Uid), Num(wantUid))); else uid = null;

        string? group = CheckedGroup(call);
        if (group is not null)
        {
            var g = call.Db.ResolveGroup(group)!;
            if (g.Gid != u.Gid) changes.Add(new("group", u.Group ?? Num(u.Gid), g.Name)); else group = null;
        }

        IReadOnlyList<string>? groups = null;
        var append = ctx.Get(Append);
        if (ctx.IsSet(Groups))
        {
            var want = CheckedGroups(call).Distinct().ToList();
            var target = append ? u.Groups.Union(want).ToList() : want;
            target.Sort(StringComparer.Ordinal);
            if (!target.SequenceEqual(u.Groups))
            {
                changes.Add(new("groups", string.Join(',', u.Groups), string.Join(',', target)));
                groups = append ? want.Where(w => !u.Groups.Contains(w)).ToList() : want;
            }
        }

        var home = PathArg(ctx, Home, "home");
        if (home is not null && home != u.Home) changes.Add(new("home", u.Home, home)); else home = null;
        var shell = PathArg(ctx, Shell, "shell");
        if (shell is not null && shell != u.Shell) changes.Add(new("shell", u.Shell, shell)); else shell = null;
        var gecos = ctx.Get(Comment) is { } c ? AccountNames.CheckField(c, "comment") : null;
        if (gecos is not null && gecos != u.Gecos) changes.Add(new("comment", u.Gecos, gecos)); else gecos = null;
        var expires = ExpiryArg(ctx);
        if (expires is not null)
        {
            var current = u.AccountExpires ?? "never";
            if (expires != current) changes.Add(new("expires", current, expires)); else expires = null;
        }
        return (new UserEdit(uid, group, groups, append, home, ctx.Get(MoveHome), shell, gecos, expires), changes);
    }

    static string? CheckedGroup(UserCall call)
    {
        var g = call.Ctx.Get(Group);
        if (g is null) return null;
        if (!long.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out _)) AccountNames.Check(g, "group");
        if (call.Db.ResolveGroup(g) is null) throw ReshError.NotFound($"No group `{g}`.", "Create it first: resh user://group/" + g + ".group.add").ToException();
        return g;
    }

    static List<string> CheckedGroups(UserCall call)
    {
        var list = new List<string>();
        foreach (var g in call.Ctx.Get(Groups))
        {
            AccountNames.Check(g, "group");
            if (call.Db.Group(g) is null) throw ReshError.NotFound($"No group `{g}`.", "Create it first: resh user://group/" + g + ".group.add").ToException();
            if (!list.Contains(g)) list.Add(g);
        }
        return list;
    }

    static string? PathArg(VerbContext ctx, Arg<string?> arg, string field) => ctx.Get(arg) is { } v ? AccountNames.CheckPath(v, field) : null;

    static string? ExpiryArg(VerbContext ctx)
    {
        var e = ctx.Get(Expires);
        if (e is null) return null;
        if (e == "never") return e;
        if (!DateOnly.TryParseExact(e, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            throw ReshError.Usage($"expires must be a date (YYYY-MM-DD) or `never`, got `{AccountNames.Shown(e)}`.", "Example: expires=2027-06-30").ToException();
        return e;
    }

    static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The fields a new account gets, for the per-field diff of add and ensure.</summary>
    public static List<FieldChange> Created(NewUser u, UserInfo? after)
    {
        if (after is not null)
        {
            var list = new List<FieldChange>
            {
                new("uid", null, Num(after.Uid)), new("group", null, after.Group ?? Num(after.Gid)), new("home", null, after.Home), new("shell", null, after.Shell),
            };
            if (after.Groups.Count > 0) list.Add(new("groups", null, string.Join(',', after.Groups)));
            if (after.Gecos.Length > 0) list.Add(new("comment", null, after.Gecos));
            if (after.AccountExpires is { } e) list.Add(new("expires", null, e));
            return list;
        }
        var l = new List<FieldChange> { new("name", null, u.Name) };
        if (u.Uid is { } uid) l.Add(new("uid", null, Num(uid)));
        if (u.Group is { } g) l.Add(new("group", null, g));
        if (u.Groups.Count > 0) l.Add(new("groups", null, string.Join(',', u.Groups)));
        if (u.Home is { } h) l.Add(new("home", null, h));
        if (u.Shell is { } s) l.Add(new("shell", null, s));
        if (u.Gecos is { } c) l.Add(new("comment", null, c));
        if (u.Expires is { } x) l.Add(new("expires", null, x));
        return l;
    }
}
