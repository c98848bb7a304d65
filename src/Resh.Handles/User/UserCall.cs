using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;

namespace Resh.Handles.User;

/// <summary>What every user:// verb starts from: the system root, its accounts and login.defs.</summary>
public sealed class UserCall
{
    UserCall(VerbContext ctx, UserRoot root)
    {
        Ctx = ctx;
        Root = root;
        Db = new Accounts(root);
        Defs = LoginDefs.Read(root);
    }

    public VerbContext Ctx { get; }
    public UserRoot Root { get; }
    public Accounts Db { get; }
    public LoginDefs Defs { get; }
    AccountTools? _tools;
    public AccountTools Tools => _tools ??= AccountTools.Open(Ctx, Root);

    public static UserCall Open(VerbContext ctx) => new(ctx, UserRoot.From(ctx));

    /// <summary>For verbs that change accounts: root is required (except to preview with --dry-run).</summary>
    public static UserCall OpenForChange(VerbContext ctx, bool needsShadow = false)
    {
        var call = Open(ctx);
        if ((!ctx.DryRun || needsShadow) && LibC.GetEUid() != 0)
            throw ReshError.PermissionDenied("Changing accounts needs root.", "Run resh as root (or with sudo); --dry-run previews without root.").ToException();
        return call;
    }

    /// <summary>The user the target names (user://NAME), validated.</summary>
    public string UserName()
    {
        var t = Ctx.Target;
        if (t.Length == 0) throw ReshError.Usage($"{Ctx.Verb.Name} needs a user: user://NAME.{Ctx.Verb.Name}.", "Example: user://deploy." + Ctx.Verb.Name).ToException();
        if (t.StartsWith("group/", StringComparison.Ordinal))
            throw ReshError.Usage($"{Ctx.Verb.Name} acts on a user, not a group.", "Target the user: user://NAME." + Ctx.Verb.Name).ToException();
        return AccountNames.Check(t, "user");
    }

    /// <summary>The group the target names (user://group/NAME), validated.</summary>
    public string GroupName()
    {
        var t = Ctx.Target;
        if (!t.StartsWith("group/", StringComparison.Ordinal))
            throw ReshError.Usage($"{Ctx.Verb.Name} acts on a group: user://group/NAME.{Ctx.Verb.Name}.", $"Example: user://group/developers.{Ctx.Verb.Name}").ToException();
        return AccountNames.Check(t["group/".Length..], "group");
    }

    public PasswdRecord ExistingUser(string name) => Db.User(name)
        ?? throw ReshError.NotFound($"No user `{name}`.", "List users with resh user://.list.").ToException();

    public GroupRecord ExistingGroup(string name) => Db.Group(name)
        ?? throw ReshError.NotFound($"No group `{name}`.", "List groups with resh user://.group.list.").ToException();

    public UserInfo Info(string name) => UserInfoReader.Build(Db, Defs, ExistingUser(name));

    public async Task RunAsync(IReadOnlyList<string> argv, byte[]? stdin = null) => await AccountTools.RunAsync(argv, stdin, Ctx.Cancellation).ConfigureAwait(false);

    public GroupEntry GroupEntryOf(GroupRecord g) => new(g.Name, g.Gid, g.Members.ToList(),
        Db.Users.Where(u => u.Gid == g.Gid).Select(u => u.Name).ToList(), Defs.GroupKind(g.Gid));
}
