using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Git;

/// <summary>
/// git's failures as resh error codes: not a repository or an unknown ref → not_found; authentication →
/// permission_denied; a remote that cannot be reached → unavailable; a non-fast-forward, a dirty tree or a merge
/// conflict → conflict; a repository owned by another user (safe.directory) → permission_denied. git's own words go in
/// details.stderr with credentials removed.
/// </summary>
public static class GitErrors
{
    public static ReshError From(ProcessResult r, string? repo, IReadOnlyList<string> args)
    {
        var stderr = GitUrl.Display(r.Stderr.Trim());
        var line = GitUrl.Display(Main(r));
        var details = new JsonObject
        {
            ["command"] = Git.Argv(["git", .. args]),
            ["exit_code"] = r.ExitCode,
            ["stderr"] = stderr.Length > 4000 ? "…" + stderr[^4000..] : stderr,
        };
        if (repo is not null) details["path"] = repo;
        var s = r.Stderr;
        bool Has(string text) => s.Contains(text, StringComparison.OrdinalIgnoreCase);
        var what = $"git {args.FirstOrDefault(a => !a.StartsWith('-')) ?? "command"} failed: {line}";

        if (Has("detected dubious ownership"))
            return ReshError.PermissionDenied($"git refuses the repository at {repo}: it is owned by another user.",
                "Run resh as the repository's owner, or trust it explicitly for this user: git config --global --add safe.directory " + (repo ?? "PATH") + " (its config and hooks can then run code).", details);
        if (Has("not a git repository"))
            return ReshError.NotFound($"{repo} is not a git repository.", "Check the path, or clone into it: git:///PATH.clone url=URL (or .ensure).", details);
        if (Has("Host key verification failed") || Has("REMOTE HOST IDENTIFICATION HAS CHANGED"))
            return ReshError.PermissionDenied("The SSH host key of the remote is unknown or has changed; ssh refused to connect.",
                "Check the host's key and add it to known_hosts (ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts after verifying it); resh never accepts a new key by itself.", details);
        if (Has("Authentication failed") || Has("could not read Username") || Has("could not read Password") || Has("terminal prompts disabled")
            || Has("Permission denied (publickey") || Has("Permission denied, please try again") || Has("The requested URL returned error: 401")
            || Has("The requested URL returned error: 403") || Has("access denied") || Has("HTTP Basic: Access denied"))
            return ReshError.PermissionDenied($"The remote refused the credentials: {line}",
                "Give token= (https) or ssh_key= / an ssh agent (ssh); a new SSH host must be in known_hosts.", details);
        if (Has("Could not resolve host") || Has("Connection refused") || Has("unable to connect") || Has("Connection timed out") || Has("Network is unreachable")
            || Has("No route to host") || Has("Could not resolve hostname") || Has("Connection reset") || Has("early EOF") || Has("The remote end hung up unexpectedly")
            || Has("Failed to connect") || Has("Connection closed by"))
            return ReshError.Unavailable($"The remote cannot be reached: {line}", "Check the URL, the network and that the server runs; retry later.", details);
        if (Has("does not appear to be a git repository") || Has("Repository not found") || (Has("repository '") && Has("' not found")) || Has("No such remote")
            || Has("not found: did you run git update-server-info") || Has("no such repository") || Has("Could not read from remote repository"))
            return ReshError.NotFound($"The remote repository was not found: {line}", "Check the URL and that you may read it.", details);
        if (Has("unknown revision") || Has("bad revision") || Has("invalid reference") || Has("did not match any file(s) known to git") || Has("couldn't find remote ref")
            || Has("not a valid ref") || Has("Needed a single revision") || Has("not a valid object name") || Has("not found in upstream") || Has("ambiguous argument")
            || Has("does not have any commits yet") || Has("no such branch") || Has("not found.") || Has("src refspec"))
            return ReshError.NotFound($"{what}", "List what exists: git://PATH.branch.list, .tag.list, or .ls-remote for a remote.", details);
        if (Has("non-fast-forward") || Has("[rejected]") || Has("fetch first") || Has("Not possible to fast-forward") || Has("would be overwritten")
            || Has("CONFLICT") || Has("Your local changes") || Has("diverging") || Has("divergent") || Has("already exists") || Has("unmerged")
            || Has("not fully merged") || Has("cannot delete branch") || Has("is not empty") || Has("You have unstaged changes") || Has("uncommitted changes")
            || Has("needs merge") || Has("fix conflicts") || Has("stale info") || Has("cannot lock ref"))
            return ReshError.Conflict($"{what}", "Resolve the conflict (git://PATH.status shows the tree), or pass force=true where the verb offers it.", details);
        if (Has("Please tell me who you are") || Has("empty ident name") || Has("unable to auto-detect email"))
            return ReshError.Usage("git does not know who the author is.", "Pass author='Name <email>', or set user.name and user.email in git's config.", details);
        if (Has("Permission denied") || Has("insufficient permission"))
            return ReshError.PermissionDenied($"{what}", "Run as a user who may write the repository.", details);
        return ReshError.Failed(what, "See details.stderr for git's own message.", details);
    }

    /// <summary>The line of git's output that says what went wrong: its fatal:/error: line, else the last line.</summary>
    static string Main(ProcessResult r)
    {
        var lines = (r.Stderr.Trim().Length > 0 ? r.Stderr : r.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var pick = lines.FirstOrDefault(l => l.StartsWith("fatal:", StringComparison.Ordinal))
            ?? lines.FirstOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal))
            ?? lines.FirstOrDefault(l => l.StartsWith(" ! [", StringComparison.Ordinal) || l.StartsWith("!", StringComparison.Ordinal))
            ?? lines.LastOrDefault() ?? $"exit {r.ExitCode}";
        foreach (var p in new[] { "fatal: ", "error: " }) if (pick.StartsWith(p, StringComparison.Ordinal)) pick = pick[p.Length..];
        pick = pick.TrimEnd('.');
        if (pick.Length > 300) pick = pick[..300] + "…";
        return pick + ".";
    }
}
