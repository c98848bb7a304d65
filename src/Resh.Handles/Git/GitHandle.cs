using Resh.Core.Model;

namespace Resh.Handles.Git;

/// <summary>git:// — working trees and remotes through the git CLI's machine-readable output.</summary>
public static class GitHandle
{
    public static HandleInfo Create() => new("git",
        "Git working trees and remotes: ensure (clone or update to a ref), clone, fetch, pull, push, status, log, diff, commit, branches, tags, checkout, reset, stash, remotes, clean, ls-remote.",
        "A working tree path: git:///srv/app (absolute), git://app (relative) or git://~/app; ls-remote also takes a remote URL: git://https://host/repo.git, or url=.",
        [
            GitEnsure.Verb,
            GitClone.Verb,
            GitStatus.Verb,
            GitLog.Verb,
            GitDiff.Verb,
            GitFetch.Verb,
            GitPull.Verb,
            GitPush.Verb,
            GitCommit.Verb,
            GitCheckout.Verb,
            GitReset.Verb,
            GitBranchList.Verb,
            GitBranchCreate.Verb,
            GitBranchDelete.Verb,
            GitTagList.Verb,
            GitTagCreate.Verb,
            GitTagDelete.Verb,
            GitStashList.Verb,
            GitStashPush.Verb,
            GitStashPop.Verb,
            GitRemoteList.Verb,
            GitRemoteAdd.Verb,
            GitRemoteRemove.Verb,
            GitClean.Verb,
            GitLsRemote.Verb,
        ])
    {
        // git runs what a repository's own config names (clean/smudge filters, hooks with hooks=true, an ssh command...).
        RunsPrograms = true,
        Notes = "resh runs the git CLI (argv only) and reads its machine forms: status --porcelain=v2 -z, log -z with a NUL-separated format, for-each-ref, diff --numstat -z, push --porcelain. "
            + "A repository's own config cannot make resh run code it did not ask for: every command runs with core.fsmonitor=false and, unless a verb's hooks=true, core.hooksPath=/dev/null; "
            + "diff skips external drivers and textconv, log never checks signatures (gpg), and nothing prompts (GIT_TERMINAL_PROMPT=0, ssh -o BatchMode=yes). "
            + "A repository owned by another user is refused by git (safe.directory) and reported as `permission_denied`. "
            + "Credentials: token= (secret-typed) reaches git only through GIT_ASKPASS, a helper that reads it from a 0600 file removed after the call; a password or token in a URL is taken out of it the same way; "
            + "SSH remotes use the agent or ssh_key=. Every URL in an envelope has its credentials replaced by ***. "
            + "Errors: not a repository or unknown ref → not_found; refused credentials → permission_denied; unreachable remote → unavailable; non-fast-forward, dirty tree, merge conflict → conflict; git's message is in details.stderr.",
    };
}
