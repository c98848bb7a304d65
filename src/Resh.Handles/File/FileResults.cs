using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.File;

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

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(FileStatResult))]
[JsonSerializable(typeof(FileExistsResult))]
[JsonSerializable(typeof(FileReadResult))]
internal sealed partial class FileJson : JsonSerializerContext;
