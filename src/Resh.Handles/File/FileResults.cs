using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Files;

[Description("Metadata of one path.")]
public sealed record FileStatResult(
    [property: Description("Absolute path.")] string Path,
    [property: Description("False when nothing exists at the path; the other fields are then null.")] bool Exists,
    [property: Description("file, directory, symlink, char_device, block_device, fifo, socket")] string? Type,
    [property: Description("Size in bytes.")] long? Size,
    [property: Description("Permission bits in octal, e.g. 0644.")] string? Mode,
    [property: Description("Symbolic permissions, e.g. -rw-r--r--.")] string? Permissions,
    long? Uid,
    long? Gid,
    [property: Description("Owner name (null when the uid has no name).")] string? Owner,
    string? Group,
    long? Inode,
    long? Links,
    long? Blocks,
    [property: Description("Modification time, RFC 3339 UTC.")] string? Mtime,
    string? Atime,
    string? Ctime,
    [property: Description("Birth time where the file system records it.")] string? Btime,
    [property: Description("Where a symlink points (as stored).")] string? LinkTarget,
    [property: Description("True when the path is the root of a mount.")] bool? MountPoint,
    [property: Description("Device major:minor of the file system holding it.")] string? Device);

public sealed record FileExistsResult(string Path, bool Exists, [property: Description("Type when it exists (symlinks are not followed).")] string? Type);

[Description("Content of a file, or of a byte range of it.")]
public sealed record FileReadResult(
    string Path,
    [property: Description("Size of the whole file in bytes.")] long Size,
    [property: Description("First byte returned.")] long Offset,
    [property: Description("Number of bytes returned.")] long Length,
    [property: Description("text or base64: how `content` is encoded.")] string Encoding,
    [property: Description("The bytes, as UTF-8 text or base64.")] string Content,
    [property: Description("True when the range stopped before the end of the file.")] bool Truncated);

[Description("What write did (or, under --dry-run, would do).")]
public sealed record FileWriteResult(
    string Path,
    [property: Description("Size of the new content in bytes.")] long Size,
    [property: Description("True when the file did not exist before.")] bool Created,
    [property: Description("True when the bytes differ from the previous content.")] bool ContentChanged,
    [property: Description("True when the permission bits change.")] bool ModeChanged,
    [property: Description("True when the owner or group changes.")] bool OwnerChanged,
    [property: Description("Permission bits afterwards, octal.")] string? Mode,
    [property: Description("Path of the previous version kept by backup=true.")] string? Backup,
    [property: Description("Parent directories created by parents=true.")] IReadOnlyList<string> ParentsCreated,
    [property: Description("Unified diff of the content change (text), or a one-line note (binary, very large).")] string? Diff,
    [property: Description("True when the existing inode was rewritten in place (inplace=true, or a directory you may not write), not replaced atomically.")] bool InPlace);

[Description("What append did (or would do).")]
public sealed record FileAppendResult(
    string Path,
    [property: Description("Bytes appended.")] long Appended,
    [property: Description("Size of the file afterwards.")] long Size,
    [property: Description("True when the file did not exist before.")] bool Created,
    [property: Description("Unified diff of the change, or a one-line note.")] string? Diff,
    [property: Description("True when appended in place with O_APPEND (the default, like >>); false when the file was rewritten atomically (atomic=true).")] bool InPlace);

[Description("One entry of a listing.")]
public sealed record FileEntry(
    [property: Description("File name.")] string Name,
    [property: Description("Absolute path.")] string Path,
    [property: Description("file, directory, symlink, char_device, block_device, fifo, socket")] string Type,
    long Size,
    [property: Description("Permission bits, octal.")] string Mode,
    [property: Description("Modification time, RFC 3339 UTC.")] string Mtime,
    [property: Description("Where a symlink points (as stored).")] string? LinkTarget,
    [property: Description("Depth below the listed directory (1 = direct child).")] int Depth,
    [property: Description("True when the name or path is not valid UTF-8: both are then percent-escaped (%XX for each raw byte, %25 for %), the form a file:// target accepts back.")] bool Escaped);

[Description("A directory listing.")]
public sealed record FileListResult(
    string Path,
    IReadOnlyList<FileEntry> Entries,
    [property: Description("Entries returned.")] int Count,
    [property: Description("Entries that matched before `limit` applied.")] int Matched,
    int Files,
    int Directories,
    [property: Description("Sum of the sizes of the regular files returned.")] long Bytes,
    [property: Description("True when `limit` cut the listing.")] bool Truncated);

[Description("What mkdir did (or would do).")]
public sealed record FileMkdirResult(
    [property: Description("The directory.")] string Path,
    [property: Description("True when the directory did not exist before.")] bool Created,
    [property: Description("Every directory created, outermost first.")] IReadOnlyList<string> CreatedDirs,
    [property: Description("Permission bits afterwards, octal (of the target, for a symlink to a directory).")] string? Mode,
    [property: Description("True when an existing directory's mode was set to `mode`.")] bool ModeChanged);

[Description("What delete removed (or would remove).")]
public sealed record FileDeleteResult(
    string Path,
    [property: Description("False when nothing was there: nothing to do.")] bool Existed,
    [property: Description("Type of what was removed.")] string? Type,
    [property: Description("Entries removed: files, links and directories.")] long Removed,
    [property: Description("Bytes of regular files removed.")] long Bytes,
    [property: Description("When a recursive delete failed part-way (`partial`): paths removed, up to 100.")] IReadOnlyList<string> RemovedPaths,
    [property: Description("Paths that could not be removed, with why (up to 100; the directories holding them stay too).")] IReadOnlyList<FileDeleteFailure> NotRemoved);

[Description("A path a delete could not remove.")]
public sealed record FileDeleteFailure(string Path, string Error);

[Description("What copy did (or would do).")]
public sealed record FileCopyResult(
    string From,
    [property: Description("The destination path (inside `to` when `to` is a directory a file goes into).")] string To,
    [property: Description("Type of the source.")] string Type,
    [property: Description("Regular files written (and FIFOs or device nodes recreated).")] long FilesCopied,
    [property: Description("Symlinks and hard links created.")] long LinksCreated,
    [property: Description("Directories created.")] long DirsCreated,
    [property: Description("Destination files that already had the same content.")] long Unchanged,
    [property: Description("Destination files left alone by the overwrite policy.")] long Skipped,
    [property: Description("Files whose mode or times were brought in line without rewriting.")] long MetadataUpdated,
    [property: Description("Existing destination files replaced.")] long Overwritten,
    [property: Description("Bytes written.")] long Bytes,
    [property: Description("Unified diff when a single text file's content changes.")] string? Diff);

[Description("What move did (or would do).")]
public sealed record FileMoveResult(
    string From,
    string To,
    [property: Description("rename (same file system), copy+delete (across devices), or none.")] string Method,
    [property: Description("True when an existing destination was replaced.")] bool Overwritten,
    [property: Description("True when the overwrite policy left an existing destination alone.")] bool Skipped,
    [property: Description("True when the source is gone and the destination exists: moved before.")] bool AlreadyMoved,
    [property: Description("Entries a move across file systems could not recreate (sockets, devices without root); when any, the source is kept whole.")] IReadOnlyList<string> NotCopied);

[Description("What chmod did (or would do).")]
public sealed record FileChmodResult(
    string Path,
    [property: Description("Mode of the path before, octal.")] string Previous,
    [property: Description("Mode of the path after, octal.")] string Mode,
    [property: Description("Entries whose mode changes.")] long ChangedCount,
    [property: Description("Entries examined (1 unless recursive).")] long Checked);

[Description("What chown did (or would do).")]
public sealed record FileChownResult(
    string Path,
    [property: Description("Owner name afterwards (null when the uid has no name).")] string? Owner,
    string? Group,
    long Uid,
    long Gid,
    [property: Description("Entries whose owner or group changes.")] long ChangedCount,
    [property: Description("Entries examined (1 unless recursive).")] long Checked);

[Description("What touch did (or would do).")]
public sealed record FileTouchResult(
    string Path,
    [property: Description("True when the file was created.")] bool Created,
    [property: Description("Modification time afterwards, RFC 3339 UTC.")] string Mtime,
    [property: Description("Access time afterwards, RFC 3339 UTC.")] string Atime);

[Description("A file's digest.")]
public sealed record FileHashResult(
    string Path,
    [property: Description("sha256, sha1, sha512 or md5.")] string Algorithm,
    [property: Description("Lower-case hex digest.")] string Digest,
    [property: Description("Bytes hashed.")] long Size,
    [property: Description("True when `expected` was given and matches; null when not given.")] bool? Matches);

[Description("The last lines of a file; with follow, a summary of the stream.")]
public sealed record FileTailResult(
    string Path,
    [property: Description("The lines (without follow), oldest first, without line endings.")] IReadOnlyList<string> Lines,
    [property: Description("Number of lines returned (or, with follow, emitted as events).")] long Count,
    bool Follow,
    [property: Description("With follow: why the stream ended (timeout).")] string? Ended,
    [property: Description("With follow: times the file was truncated or replaced (rotation) and re-read.")] long Reopened);

[Description("What lines.ensure did (or would do).")]
public sealed record FileLinesEnsureResult(
    string Path,
    [property: Description("present or absent.")] string State,
    [property: Description("inserted, replaced, removed or unchanged.")] string Action,
    [property: Description("1-based line number of the line inserted or replaced.")] int? LineNumber,
    [property: Description("Lines removed (state=absent).")] int Removed,
    [property: Description("True when the file was created (create=true).")] bool Created,
    [property: Description("Path of the previous version kept by backup=true.")] string? Backup,
    [property: Description("Unified diff of the change.")] string? Diff);

[Description("What replace did (or would do).")]
public sealed record FileReplaceResult(
    string Path,
    [property: Description("Number of replacements made (or that would be made).")] int Replacements,
    [property: Description("Path of the previous version kept by backup=true.")] string? Backup,
    [property: Description("Unified diff of the change.")] string? Diff);

[Description("One extended attribute.")]
public sealed record FileEaGetResult(
    string Path,
    [property: Description("Full attribute name, namespace included (user.comment).")] string Name,
    [property: Description("False when the file has no such attribute.")] bool Exists,
    [property: Description("The value, encoded as `encoding` says.")] string? Value,
    [property: Description("text or base64.")] string? Encoding,
    [property: Description("Size of the value in bytes.")] long? Size);

[Description("What ea.set did (or would do).")]
public sealed record FileEaSetResult(
    string Path,
    string Name,
    [property: Description("True when the attribute did not exist before.")] bool Created,
    [property: Description("Size of the value in bytes.")] long Size);

[Description("What ea.remove did (or would do).")]
public sealed record FileEaRemoveResult(string Path, string Name, [property: Description("False when there was nothing to remove.")] bool Existed);

[Description("An extended attribute and its value.")]
public sealed record FileEaEntry(string Name, [property: Description("Null unless values=true.")] string? Value, string? Encoding, long? Size);

[Description("The extended attributes of a path.")]
public sealed record FileEaListResult(string Path, IReadOnlyList<FileEaEntry> Attributes, int Count);

[Description("Where a symlink points.")]
public sealed record FileReadlinkResult(
    string Path,
    [property: Description("The target as stored in the link (may be relative).")] string Target,
    [property: Description("The fully resolved absolute path (every link followed).")] string Resolved,
    [property: Description("False when the link dangles (the resolved path does not exist).")] bool ResolvedExists);

[Description("What symlink did (or would do).")]
public sealed record FileSymlinkResult(
    string Path,
    [property: Description("What the link points to.")] string Target,
    [property: Description("True when the link did not exist before.")] bool Created,
    [property: Description("What was at the path before when force=true replaced it (a link target, or a type).")] string? Replaced);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(FileStatResult))]
[JsonSerializable(typeof(FileExistsResult))]
[JsonSerializable(typeof(FileReadResult))]
[JsonSerializable(typeof(FileWriteResult))]
[JsonSerializable(typeof(FileAppendResult))]
[JsonSerializable(typeof(FileListResult))]
[JsonSerializable(typeof(FileMkdirResult))]
[JsonSerializable(typeof(FileDeleteResult))]
[JsonSerializable(typeof(FileCopyResult))]
[JsonSerializable(typeof(FileMoveResult))]
[JsonSerializable(typeof(FileChmodResult))]
[JsonSerializable(typeof(FileChownResult))]
[JsonSerializable(typeof(FileTouchResult))]
[JsonSerializable(typeof(FileHashResult))]
[JsonSerializable(typeof(FileTailResult))]
[JsonSerializable(typeof(FileLinesEnsureResult))]
[JsonSerializable(typeof(FileReplaceResult))]
[JsonSerializable(typeof(FileEaGetResult))]
[JsonSerializable(typeof(FileEaSetResult))]
[JsonSerializable(typeof(FileEaRemoveResult))]
[JsonSerializable(typeof(FileEaListResult))]
[JsonSerializable(typeof(FileReadlinkResult))]
[JsonSerializable(typeof(FileSymlinkResult))]
internal sealed partial class FileJson : JsonSerializerContext;
