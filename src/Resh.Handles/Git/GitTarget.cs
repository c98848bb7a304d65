using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Grammar;

namespace Resh.Handles.Git;

/// <summary>
/// git:// targets. A working tree is a path: git:///srv/app (absolute), git://app (relative to the current
/// directory) or git://~/app. Remote-only verbs (ls-remote) take a URL instead: git://https://host/repo.git,
/// git://ssh://git@host/repo.git, or url=.
/// </summary>
public static class GitTarget
{
    /// <summary>The working tree a verb acts on, absolute; a URL here is `usage`.</summary>
    public static string Path(VerbContext ctx)
    {
        var t = ctx.Target;
        if (t.Length == 0)
            throw ReshError.Usage("The git:// target is empty.", "Name a working tree: git:///srv/app." + ctx.Verb.Name).ToException();
        if (t.Contains('\0'))
            throw ReshError.Usage("The path contains a NUL byte.", "Name a working tree: git:///srv/app.").ToException();
        if (GitUrl.LooksRemote(t))
            throw ReshError.Usage($"`{ctx.Verb.Name}` works on a local working tree, not on the remote `{GitUrl.Display(t)}`.",
                "Name the local path and give the remote as url=: " + StageText.Command(ctx.Handle, "/srv/app", "ensure", "url=" + GitUrl.Display(t))).ToException();
        var home = ctx.Runtime.Paths.Home;
        var p = t == "~" ? home : t.StartsWith("~/", StringComparison.Ordinal) ? System.IO.Path.Combine(home, t[2..]) : t;
        var full = System.IO.Path.GetFullPath(p);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    /// <summary>The working tree of a verb that needs an existing one: a missing directory is `not_found`.</summary>
    public static string Existing(VerbContext ctx)
    {
        var path = Path(ctx);
        if (!Directory.Exists(path))
            throw ReshError.NotFound($"{path} does not exist.", "Clone into it: " + StageText.Command(ctx.Handle, path, "ensure", "url=URL")).ToException();
        return path;
    }
}
