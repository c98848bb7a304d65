using Resh.Core.Model;

namespace Resh.Handles.File;

/// <summary>file:// — files and directories on the local (or, through ssh://, remote) file system.</summary>
public static class FileHandle
{
    public const string TargetHelp = "A path: file:///absolute/path, file://relative/path (against the current directory) or file://~/path (home). Percent-escape spaces and dots as needed (%20, %2E).";

    public static HandleInfo Create() => new("file",
        "Files and directories: read, write atomically, list, copy, hash, tail, edit lines, extended attributes.",
        TargetHelp,
        [
            FileRead.Verb,
            FileWrite.Verb,
            FileAppend.Verb,
            FileExists.Verb,
            FileStat.Verb,
            FileList.Verb,
            FileMkdir.Verb,
            FileDelete.Verb,
            FileCopy.Verb,
            FileMove.Verb,
            FileChmod.Verb,
            FileChown.Verb,
            FileTouch.Verb,
            FileHash.Verb,
            FileTail.Verb,
            FileLinesEnsure.Verb,
            FileReplace.Verb,
            FileEaGet.Verb,
            FileEaSet.Verb,
            FileEaList.Verb,
            FileEaRemove.Verb,
            FileReadlink.Verb,
            FileSymlink.Verb,
        ])
    {
        Notes = "Every mutating verb reports `changed` truthfully (a second identical run is `changed: false`) and honours --dry-run, with a unified diff where content would change. Writes are atomic: a temporary file in the same directory, fsync, rename.",
    };
}
