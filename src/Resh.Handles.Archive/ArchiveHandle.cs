using Resh.Core.Model;

namespace Resh.Handles.Archive;

/// <summary>archive:// — tar (gz, bz2, xz, zst), zip (AES), 7z and single-file compression, extracted safely.</summary>
public static class ArchiveHandle
{
    public static HandleInfo Create() => new("archive",
        "Archives: create, extract safely, list, test, inspect, add and remove entries; compress and decompress single files.",
        "The archive file's path: archive:///tmp/x.tar.zst (absolute) or archive://x.zip (relative). For compress, the file to compress.",
        [
            ArchiveCreate.Verb,
            ArchiveExtract.Verb,
            ArchiveList.Verb,
            ArchiveTest.Verb,
            ArchiveInfo.Verb,
            ArchiveAdd.Verb,
            ArchiveRemove.Verb,
            ArchiveCompress.Verb,
            ArchiveDecompress.Verb,
        ])
    {
        Notes = "Formats: tar, tar.gz, tar.bz2, tar.xz, tar.zst, zip (deflate; AES-256 with password=), 7z (read; written with the system 7z), " +
                "and single gz, bz2, xz, zst streams. Reading detects the format from the content (magic bytes), not the name. " +
                "Extraction never writes outside its destination and bounds expansion (max_bytes, max_entries, max_ratio).",
    };
}
