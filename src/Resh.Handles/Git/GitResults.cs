using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Git;

[Description("One changed path in the index or the working tree.")]
public sealed record GitPathChange(
    string Path,
    [property: Description("modified, added, deleted, renamed, copied or type_changed.")] string Status,
    [property: Description("The path it was renamed or copied from.")] string? From);

[Description("A path with a merge conflict.")]
public sealed record GitConflict(
    string Path,
    [property: Description("both_modified, both_added, both_deleted, added_by_us, added_by_them, deleted_by_us or deleted_by_them.")] string Kind);

public sealed record GitStatusResult(
    [property: Description("The working tree.")] string Path,
    [property: Description("The checked-out branch; null when HEAD is detached.")] string? Branch,
    bool Detached,
    [property: Description("The commit HEAD points at; null before the first commit.")] string? Head,
    [property: Description("The branch's upstream (origin/main); null when none is set.")] string? Upstream,
    [property: Description("Commits on the branch not on its upstream.")] int? Ahead,
    [property: Description("Commits on the upstream not on the branch.")] int? Behind,
    [property: Description("True when nothing is staged, changed, untracked or conflicted.")] bool Clean,
    [property: Description("Changes in the index (what a commit would record).")] IReadOnlyList<GitPathChange> Staged,
    [property: Description("Changes in the working tree not staged.")] IReadOnlyList<GitPathChange> Unstaged,
    IReadOnlyList<string> Untracked,
    IReadOnlyList<GitConflict> Conflicted);

[Description("One commit.")]
public sealed record GitCommitInfo(
    string Hash,
    IReadOnlyList<string> Parents,
    string Author,
    string AuthorEmail,
    [property: Description("Author date, ISO 8601 with offset.")] string Date,
    string Committer,
    string CommitterEmail,
    [property: Description("Commit date, ISO 8601 with offset.")] string CommitDate,
    string Subject,
    string Body);

public sealed record GitLogResult(string Path, string Ref, int Count, IReadOnlyList<GitCommitInfo> Commits);

[Description("One file of a diff.")]
public sealed record GitDiffFile(
    string Path,
    [property: Description("The old path of a rename or copy.")] string? From,
    [property: Description("Lines added; null for a binary file.")] long? Added,
    [property: Description("Lines deleted; null for a binary file.")] long? Deleted,
    bool Binary);

public sealed record GitDiffResult(
    string Path,
    [property: Description("What was compared: worktree-index, index-HEAD (staged), or the refs.")] string Compared,
    int FilesChanged,
    long Added,
    long Deleted,
    IReadOnlyList<GitDiffFile> Files,
    [property: Description("The unified diff text.")] string Diff,
    [property: Description("True when the unified text was cut at max_bytes.")] bool Truncated);

public sealed record GitHeadResult(
    string Path,
    [property: Description("What was done: cloned, checked_out, fast_forward, rebased, merged, reset, unchanged, or (dry run) would_*.")] string Action,
    [property: Description("The remote URL, credentials removed.")] string? Url,
    [property: Description("The ref asked for.")] string? Ref,
    [property: Description("The checked-out branch; null when detached.")] string? Branch,
    [property: Description("HEAD before; null when there was no tree.")] string? Before,
    [property: Description("HEAD after (under --dry-run: the commit it would move to, when known).")] string? After);

[Description("A ref a fetch or push changed.")]
public sealed record GitRefUpdate(
    string Ref,
    [property: Description("The commit before; null for a new ref.")] string? Old,
    [property: Description("The commit after; null for a deleted ref.")] string? New,
    [property: Description("new, updated, forced, deleted, up_to_date or rejected.")] string Status,
    string? Summary);

public sealed record GitFetchResult(string Path, string Remote, IReadOnlyList<GitRefUpdate> Updated);

public sealed record GitPushResult(string Path, string Remote, IReadOnlyList<GitRefUpdate> Refs);

public sealed record GitCommitResult(
    string Path,
    [property: Description("The new commit; null when there was nothing to commit (or under --dry-run).")] string? Commit,
    string? Branch,
    [property: Description("The paths the commit records.")] IReadOnlyList<GitPathChange> Files,
    string Subject);

[Description("A branch.")]
public sealed record GitBranch(
    string Name,
    [property: Description("refs/heads/NAME or refs/remotes/REMOTE/NAME.")] string Ref,
    string Commit,
    bool Current,
    bool Remote,
    string? Upstream,
    int? Ahead,
    int? Behind,
    [property: Description("True when the upstream branch no longer exists.")] bool UpstreamGone,
    string Subject);

public sealed record GitBranchListResult(string Path, int Count, IReadOnlyList<GitBranch> Branches);

[Description("A tag.")]
public sealed record GitTag(
    string Name,
    [property: Description("The commit the tag points at (peeled).")] string Commit,
    bool Annotated,
    [property: Description("The annotation's first line, or the commit's subject.")] string Subject,
    [property: Description("Tagger (or commit) date, ISO 8601.")] string? Date);

public sealed record GitTagListResult(string Path, int Count, IReadOnlyList<GitTag> Tags);

public sealed record GitRefChangeResult(
    string Path,
    [property: Description("branch or tag.")] string Kind,
    string Name,
    [property: Description("The commit before; null when it did not exist.")] string? Before,
    [property: Description("The commit after; null when deleted.")] string? After);

[Description("A stash entry.")]
public sealed record GitStashEntry(
    [property: Description("stash@{N}.")] string Name,
    int Index,
    string Commit,
    string Message,
    string Date);

public sealed record GitStashListResult(string Path, int Count, IReadOnlyList<GitStashEntry> Stashes);

public sealed record GitStashResult(
    string Path,
    [property: Description("push or pop.")] string Action,
    [property: Description("The entry created or applied; null when there was nothing to do.")] GitStashEntry? Entry);

[Description("A remote.")]
public sealed record GitRemote(
    string Name,
    [property: Description("The fetch URL, credentials removed.")] string? Url,
    [property: Description("The push URL when it differs, credentials removed.")] string? PushUrl);

public sealed record GitRemoteListResult(string Path, int Count, IReadOnlyList<GitRemote> Remotes);

public sealed record GitRemoteChangeResult(string Path, string Name, [property: Description("Credentials removed.")] string? Before, string? After);

public sealed record GitCleanResult(
    string Path,
    [property: Description("Paths removed (under --dry-run: that would be removed); directories end in /.")] IReadOnlyList<string> Removed,
    int Count);

[Description("A ref a remote advertises.")]
public sealed record GitRemoteRef(
    string Name,
    string Commit,
    [property: Description("For an annotated tag: the commit it points at.")] string? Peeled);

public sealed record GitLsRemoteResult(
    [property: Description("Credentials removed.")] string Url,
    [property: Description("The branch the remote's HEAD points at, when it says.")] string? Head,
    int Count,
    IReadOnlyList<GitRemoteRef> Refs);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(GitStatusResult))]
[JsonSerializable(typeof(GitLogResult))]
[JsonSerializable(typeof(GitDiffResult))]
[JsonSerializable(typeof(GitHeadResult))]
[JsonSerializable(typeof(GitFetchResult))]
[JsonSerializable(typeof(GitPushResult))]
[JsonSerializable(typeof(GitCommitResult))]
[JsonSerializable(typeof(GitBranchListResult))]
[JsonSerializable(typeof(GitTagListResult))]
[JsonSerializable(typeof(GitRefChangeResult))]
[JsonSerializable(typeof(GitStashListResult))]
[JsonSerializable(typeof(GitStashResult))]
[JsonSerializable(typeof(GitRemoteListResult))]
[JsonSerializable(typeof(GitRemoteChangeResult))]
[JsonSerializable(typeof(GitCleanResult))]
[JsonSerializable(typeof(GitLsRemoteResult))]
internal sealed partial class GitJson : JsonSerializerContext;
