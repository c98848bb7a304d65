using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.User;

/// <summary>A new account as add/ensure ask for it; null fields take the system's defaults.</summary>
public sealed record NewUser(string Name, long? Uid, string? Group, IReadOnlyList<string> Groups, string? Home, string? Shell, string? Gecos,
    bool CreateHome, bool System, string? Expires);

/// <summary>Changes to an existing account; null fields stay as they are.</summary>
public sealed record UserEdit(long? Uid, string? Group, IReadOnlyList<string>? Groups, bool AppendGroups, string? Home, bool MoveHome,
    string? Shell, string? Gecos, string? Expires)
{
    public bool IsEmpty => Uid is null && Group is null && Groups is null && Home is null && Shell is null && Gecos is null && Expires is null;
}

/// <summary>
/// The programs that change accounts, as exact argv: shadow-utils (useradd, usermod, userdel, groupadd,
/// groupdel, gpasswd, chpasswd, chage) or busybox/Alpine (adduser, deluser, addgroup, delgroup, passwd, chpasswd).
/// Names are validated before they get here and always follow `--`, so they can never be read as options.
/// </summary>
public abstract class AccountTools
{
    public static readonly Arg<string?> BackendArg = Arg.Enum("backend",
        "Account tools: shadow (useradd, usermod, gpasswd...), busybox (Alpine's adduser/addgroup), or auto (shadow when useradd exists).",
        ["auto", "shadow", "busybox"], "auto");

    public abstract string Name { get; }
    public abstract IReadOnlyList<string> UserAdd(NewUser u);
    /// <summary>The commands for an edit (busybox needs one per group change); throws unsupported for what the tools cannot do.</summary>
    public abstract IReadOnlyList<IReadOnlyList<string>> UserMod(string name, UserEdit e, IReadOnlyList<string> currentGroups);
    public abstract IReadOnlyList<string> UserDel(string name, bool removeHome, bool force);
    public abstract IReadOnlyList<string> Lock(string name);
    public abstract IReadOnlyList<string> Unlock(string name);
    /// <summary>Sets pre-hashed passwords read from stdin as `name:hash` lines (never argv).</summary>
    public abstract IReadOnlyList<string> SetHashes();
    public abstract IReadOnlyList<string> SetAccountExpiry(string name, string? date);
    public abstract IReadOnlyList<string> ForcePasswordChange(string name);
    /// <summary>Ends a forced change: the password counts as changed today (chage -d TODAY).</summary>
    public abstract IReadOnlyList<string> ClearForcedPasswordChange(string name, string today);
    /// <summary>Password aging (chage -m/-M/-W/-I); null fields stay, -1 removes a limit.</summary>
    public abstract IReadOnlyList<string> SetAging(string name, long? min, long? max, long? warn, long? inactive);
    public abstract IReadOnlyList<string> GroupAdd(string name, long? gid, bool system);
    public abstract IReadOnlyList<string> GroupDel(string name);
    public abstract IReadOnlyList<string> MemberAdd(string user, string group);
    public abstract IReadOnlyList<string> MemberRemove(string user, string group);

    public static AccountTools Open(VerbContext ctx, UserRoot root)
    {
        var choice = ctx.Get(BackendArg) ?? "auto";
        if (choice == "auto")
        {
            if (ProcessRunner.Which("useradd") is not null) choice = "shadow";
            else if (IsBusybox(ProcessRunner.Which("adduser"))) choice = "busybox";
            else throw ReshError.Unavailable("No account tools found: neither useradd (shadow-utils) nor busybox adduser.",
                "Install the passwd package (Debian), shadow-utils (Fedora) or shadow (Alpine).").ToException();
        }
        if (choice == "busybox")
        {
            if (!root.IsHost) throw ReshError.Unsupported("busybox's adduser has no --root option; root= needs shadow-utils.", "Use backend=shadow.").ToException();
            return new BusyboxTools();
        }
        return new ShadowTools(root);
    }

    static bool IsBusybox(string? path)
    {
        if (path is null) return false;
        try
        {
            var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
            return Path.GetFileName(target) == "busybox";
        }
        catch (IOException) { return false; }
    }

    /// <summary>Runs one tool call; a failure becomes the right error code from the tool's exit status and message.</summary>
    public static async Task RunAsync(IReadOnlyList<string> argv, byte[]? stdin, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync(argv, new ProcessOptions { Stdin = stdin }, ct).ConfigureAwait(false);
        if (r.Succeeded) return;
        throw ToolErrors.Translate(argv, r).ToException();
    }
}

/// <summary>shadow-utils, the tools of Debian, Fedora, SUSE and Arch (and Alpine's shadow package).</summary>
public sealed class ShadowTools(UserRoot root) : AccountTools
{
    public override string Name => "shadow";

    List<string> Cmd(string tool, string rootFlag = "-R")
    {
        var argv = new List<string> { tool };
        if (!root.IsHost) { argv.Add(rootFlag); argv.Add(root.Path); }
        return argv;
    }

    public override IReadOnlyList<string> UserAdd(NewUser u)
    {
        var a = Cmd("useradd");
        if (u.System) a.Add("-r");
        if (u.Uid is { } uid) { a.Add("-u"); a.Add(uid.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        if (u.Group is { } g) { a.Add("-g"); a.Add(g); }
        if (u.Groups.Count > 0) { a.Add("-G"); a.Add(string.Join(',', u.Groups)); }
        if (u.Home is { } h) { a.Add("-d"); a.Add(h); }
        if (u.Shell is { } s) { a.Add("-s"); a.Add(s); }
        if (u.Gecos is { } c) { a.Add("-c"); a.Add(c); }
        if (u.Expires is { } e) { a.Add("-e"); a.Add(e); }
        a.Add(u.CreateHome ? "-m" : "-M");
        a.Add("--");
        a.Add(u.Name);
        return a;
    }

    public override IReadOnlyList<IReadOnlyList<string>> UserMod(string name, UserEdit e, IReadOnlyList<string> currentGroups)
    {
        if (e.IsEmpty) return [];
        var a = Cmd("usermod");
        if (e.Uid is { } uid) { a.Add("-u"); a.Add(uid.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        if (e.Group is { } g) { a.Add("-g"); a.Add(g); }
        if (e.Groups is { } gs)
        {
            if (e.AppendGroups) a.Add("-a");
            a.Add("-G"); a.Add(string.Join(',', gs));
        }
        if (e.Home is { } h) { a.Add("-d"); a.Add(h); if (e.MoveHome) a.Add("-m"); }
        if (e.Shell is { } s) { a.Add("-s"); a.Add(s); }
        if (e.Gecos is { } c) { a.Add("-c"); a.Add(c); }
        if (e.Expires is { } x) { a.Add("-e"); a.Add(x == "never" ? "" : x); }
        a.Add("--");
        a.Add(name);
        return [a];
    }

    public override IReadOnlyList<string> UserDel(string name, bool removeHome, bool force)
    {
        var a = Cmd("userdel");
        if (removeHome) a.Add("-r");
        if (force) a.Add("-f");
        a.Add("--"); a.Add(name);
        return a;
    }

    public override IReadOnlyList<string> Lock(string name) { var a = Cmd("usermod"); a.AddRange(["-L", "--", name]); return a; }
    public override IReadOnlyList<string> Unlock(string name) { var a = Cmd("usermod"); a.AddRange(["-U", "--", name]); return a; }
    public override IReadOnlyList<string> SetHashes() { var a = Cmd("chpasswd"); a.Add("-e"); return a; }

    public override IReadOnlyList<string> SetAccountExpiry(string name, string? date)
    {
        var a = Cmd("usermod");
        a.AddRange(["-e", date ?? "", "--", name]);
        return a;
    }

    public override IReadOnlyList<string> ForcePasswordChange(string name) { var a = Cmd("chage"); a.AddRange(["-d", "0", "--", name]); return a; }
    public override IReadOnlyList<string> ClearForcedPasswordChange(string name, string today) { var a = Cmd("chage"); a.AddRange(["-d", today, "--", name]); return a; }

    public override IReadOnlyList<string> SetAging(string name, long? min, long? max, long? warn, long? inactive)
    {
        var a = Cmd("chage");
        static string N(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (min is { } m) { a.Add("-m"); a.Add(N(m)); }
        if (max is { } x) { a.Add("-M"); a.Add(N(x)); }
        if (warn is { } w) { a.Add("-W"); a.Add(N(w)); }
        if (inactive is { } i) { a.Add("-I"); a.Add(N(i)); }
        a.Add("--"); a.Add(name);
        return a;
    }

    public override IReadOnlyList<string> GroupAdd(string name, long? gid, bool system)
    {
        var a = Cmd("groupadd");
        if (system) a.Add("-r");
        if (gid is { } g) { a.Add("-g"); a.Add(g.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        a.Add("--"); a.Add(name);
        return a;
    }

    public override IReadOnlyList<string> GroupDel(string name) { var a = Cmd("groupdel"); a.AddRange(["--", name]); return a; }
    // gpasswd spells --root as -Q (its -R restricts the group).
    public override IReadOnlyList<string> MemberAdd(string user, string group) { var a = Cmd("gpasswd", "-Q"); a.AddRange(["-a", user, "--", group]); return a; }
    public override IReadOnlyList<string> MemberRemove(string user, string group) { var a = Cmd("gpasswd", "-Q"); a.AddRange(["-d", user, "--", group]); return a; }
}

/// <summary>busybox's applets as Alpine ships them (adduser, deluser, addgroup, delgroup, passwd, chpasswd).</summary>
public sealed class BusyboxTools : AccountTools
{
    public override string Name => "busybox";

    public override IReadOnlyList<string> UserAdd(NewUser u)
    {
        // -D: no password (the account stays locked until passwd sets one), as useradd leaves it.
        var a = new List<string> { "adduser", "-D" };
        if (u.System) a.Add("-S");
        if (!u.CreateHome) a.Add("-H");
        if (u.Home is { } h) { a.Add("-h"); a.Add(h); }
        if (u.Gecos is { } c) { a.Add("-g"); a.Add(c); }
        if (u.Shell is { } s) { a.Add("-s"); a.Add(s); }
        if (u.Group is { } g) { a.Add("-G"); a.Add(g); }
        if (u.Uid is { } uid) { a.Add("-u"); a.Add(uid.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        if (u.Expires is not null) throw Unsupported("account expiry");
        a.Add("--"); a.Add(u.Name);
        return a;
    }

    /// <summary>Supplementary groups after adduser: busybox takes them one `addgroup USER GROUP` at a time.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> InitialGroups(NewUser u) =>
        u.Groups.Select(g => (IReadOnlyList<string>)new List<string> { "addgroup", u.Name, g }).ToList();

    public override IReadOnlyList<IReadOnlyList<string>> UserMod(string name, UserEdit e, IReadOnlyList<string> currentGroups)
    {
        if (e.Uid is not null) throw Unsupported("changing the UID");
        if (e.Group is not null) throw Unsupported("changing the primary group");
        if (e.Home is not null) throw Unsupported("changing the home directory");
        if (e.Shell is not null) throw Unsupported("changing the shell");
        if (e.Gecos is not null) throw Unsupported("changing the comment (GECOS)");
        if (e.Expires is not null) throw Unsupported("account expiry");
        var cmds = new List<IReadOnlyList<string>>();
        if (e.Groups is { } want)
        {
            foreach (var g in want.Where(g => !currentGroups.Contains(g))) cmds.Add(MemberAdd(name, g));
            if (!e.AppendGroups)
                foreach (var g in currentGroups.Where(g => !want.Contains(g))) cmds.Add(MemberRemove(name, g));
        }
        return cmds;
    }

    public override IReadOnlyList<string> UserDel(string name, bool removeHome, bool force) =>
        removeHome ? ["deluser", "--remove-home", name] : ["deluser", name];
    public override IReadOnlyList<string> Lock(string name) => ["passwd", "-l", name];
    public override IReadOnlyList<string> Unlock(string name) => ["passwd", "-u", name];
    public override IReadOnlyList<string> SetHashes() => ["chpasswd", "-e"];
    public override IReadOnlyList<string> SetAccountExpiry(string name, string? date) => throw Unsupported("account expiry");
    public override IReadOnlyList<string> ForcePasswordChange(string name) => throw Unsupported("forcing a password change");
    public override IReadOnlyList<string> ClearForcedPasswordChange(string name, string today) => throw Unsupported("forcing a password change");
    public override IReadOnlyList<string> SetAging(string name, long? min, long? max, long? warn, long? inactive) => throw Unsupported("password aging");

    public override IReadOnlyList<string> GroupAdd(string name, long? gid, bool system)
    {
        var a = new List<string> { "addgroup" };
        if (system) a.Add("-S");
        if (gid is { } g) { a.Add("-g"); a.Add(g.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        a.Add(name);
        return a;
    }

    public override IReadOnlyList<string> GroupDel(string name) => ["delgroup", name];
    public override IReadOnlyList<string> MemberAdd(string user, string group) => ["addgroup", user, group];
    public override IReadOnlyList<string> MemberRemove(string user, string group) => ["delgroup", user, group];

    static ReshException Unsupported(string what) =>
        ReshError.Unsupported($"busybox's account tools cannot do {what}.", "Install shadow (apk add shadow) and use backend=shadow.").ToException();
}
