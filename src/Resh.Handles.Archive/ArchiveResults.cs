using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Archive;

[Description("An entry left out, and why.")]
public sealed record ArchiveRefusal(
    [property: Description("The entry name; percent-escaped when it is not UTF-8 (then `escaped` is true).")] string Path,
    [property: Description("absolute_path, parent_traversal, symlink_escape, hardlink_escape, hardlink_target_missing, through_symlink, parent_not_directory, name_too_long, name_collision, empty_link_target, invalid_name, device_node, fifo, unsupported_type, or (create) not_supported_by_format")] string Reason,
    [property: Description("True when the name is not UTF-8 and `path` holds it percent-escaped (%XX per byte).")] bool Escaped = false);

[Description("A new archive.")]
public sealed record ArchiveCreateResult(
    string Archive,
    [property: Description("tar, tar.gz, tar.bz2, tar.xz, tar.zst, zip or 7z.")] string Format,
    long Entries, long Files, long Directories, long Symlinks, long Hardlinks,
    [property: Description("Uncompressed bytes of file content.")] long Bytes,
    [property: Description("Size of the archive file in bytes (null under --dry-run).")] long? Size,
    [property: Description("Bytes / size.")] double? Ratio,
    bool Deterministic,
    [property: Description("True when entries are AES-256 encrypted.")] bool Encrypted,
    [property: Description("Entries the format cannot hold (devices in zip, sockets).")] IReadOnlyList<ArchiveRefusal> Skipped,
    [property: Description("Names that would be stored (--dry-run only; at most 1000).")] IReadOnlyList<string>? Planned);

[Description("What an extraction wrote.")]
public sealed record ArchiveExtractResult(
    string Archive, string Destination, string Format,
    long Files, long Directories, long Symlinks, long Hardlinks, long Special,
    [property: Description("Bytes of file content written.")] long Bytes,
    [property: Description("Top-level paths created in the destination.")] long Created,
    [property: Description("Paths replaced (overwrite=replace).")] long Replaced,
    [property: Description("Paths already identical in the destination.")] long Unchanged,
    [property: Description("Paths kept because they differ (overwrite=skip).")] long Skipped,
    [property: Description("Unsafe entries that were not extracted.")] IReadOnlyList<ArchiveRefusal> Refused,
    [property: Description("Entry names that would be written (--dry-run only; at most 1000).")] IReadOnlyList<string>? Planned,
    [property: Description("--dry-run only: every entry (at most 10000) with what a real run would do to it, compared with the destination as tar -d does (content, mode, type, link target).")] IReadOnlyList<ExtractAction>? Actions = null);

[Description("One archive entry.")]
public sealed record ArchiveEntryInfo(
    [property: Description("The name as extraction writes it (a directory without its trailing slash); percent-escaped when it is not UTF-8.")] string Path,
    [property: Description("file, directory, symlink, hardlink, char_device, block_device, fifo, other")] string Type,
    long Size,
    [property: Description("Permission bits in octal.")] string Mode,
    [property: Description("RFC 3339 UTC.")] string Mtime,
    string? LinkTarget,
    long Uid, long Gid, string? Owner, string? Group,
    [property: Description("Compressed size where the format stores one per entry (zip, 7z).")] long? CompressedSize,
    bool Encrypted,
    [property: Description("True when the path (or link target) is not UTF-8 and is shown percent-escaped (%XX per byte).")] bool Escaped = false,
    [property: Description("For a sparse file: the bytes of data actually stored (the rest are holes).")] long? StoredSize = null,
    [property: Description("Names of the extended attributes stored with the entry (tar).")] IReadOnlyList<string>? Xattrs = null,
    [property: Description("True when POSIX ACLs are stored with the entry (tar).")] bool Acl = false);

public sealed record ArchiveListResult(string Archive, string Format, long Count, IReadOnlyList<ArchiveEntryInfo> Entries,
    [property: Description("True when more entries matched than `limit`.")] bool Truncated);

[Description("Result of reading every entry's data.")]
public sealed record ArchiveTestResult(string Archive, string Format, long Entries, [property: Description("Bytes of content read and checked.")] long Bytes,
    [property: Description("True when every entry decoded and every checksum matched.")] bool Intact,
    [property: Description("What was checked: tar header checksums, zip CRC-32 and sizes (and data descriptors), AES authentication codes, gzip/xz/zstd stream checksums, 7z CRCs.")] string Checks = "");

public sealed record ArchiveInfoResult(
    string Archive, string Format,
    [property: Description("none, gz, bz2, xz, zst (tar), the zip methods used (deflate, stored, bzip2, ...) or lzma (7z).")] string Compression,
    bool Encrypted, long Entries, long Files, long Directories, long Symlinks, long Hardlinks, long Other,
    [property: Description("Total uncompressed bytes of file content.")] long UncompressedBytes,
    [property: Description("Size of the archive file.")] long CompressedBytes,
    [property: Description("Uncompressed / compressed.")] double Ratio);

[Description("How an archive was rewritten.")]
public sealed record ArchiveUpdateResult(string Archive, string Format,
    IReadOnlyList<string> Added, IReadOnlyList<string> Replaced, IReadOnlyList<string> Removed,
    [property: Description("Entries in the archive afterwards.")] long Entries,
    [property: Description("Archive size afterwards (the current size under --dry-run).")] long Size);

[Description("A single-file compression or decompression.")]
public sealed record ArchiveStreamResult(string Source, string Output, string Format,
    long InputBytes, long? OutputBytes, double? Ratio,
    [property: Description("True when the source was removed afterwards (keep=false).")] bool SourceRemoved,
    [property: Description("True when the output has the source's mode, owner and times (as gzip -k keeps them).")] bool MetadataKept = false);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ArchiveCreateResult))]
[JsonSerializable(typeof(ArchiveExtractResult))]
[JsonSerializable(typeof(ArchiveListResult))]
[JsonSerializable(typeof(ArchiveTestResult))]
[JsonSerializable(typeof(ArchiveInfoResult))]
[JsonSerializable(typeof(ArchiveUpdateResult))]
[JsonSerializable(typeof(ArchiveStreamResult))]
internal sealed partial class ArchiveJson : JsonSerializerContext;
