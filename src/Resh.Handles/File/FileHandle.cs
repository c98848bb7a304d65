using Resh.Core.Model;

namespace Resh.Handles.Files;

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
        Notes = "Every mutating verb reports `changed` truthfully (a second identical run is `changed: false`) and honours --dry-run, with a unified diff where content would change. "
            + "Content changes are atomic: a temporary file in the same directory, fsync, rename, fsync of the directory; the file's mode and owner are kept unless asked otherwise. "
            + "The verbs by the tool an operator would otherwise reach for: cat → read, tee/install → write, >> → append, test -e → exists, stat → stat, ls/find → list, mkdir -p → mkdir, rm → delete, cp → copy, mv → move, chmod → chmod, chown → chown, touch → touch, sha256sum → hash, tail -F → tail, Ansible lineinfile → lines.ensure, sed -i → replace, getfattr/setfattr → ea.get/ea.set/ea.list/ea.remove, readlink → readlink, ln -s → symlink. "
            + "Errors: a missing path is `not_found` (3), a refused permission `permission_denied` (4), an existing or protected target `conflict` (5), a bad argument or a directory where a file is needed `usage` (2). "
            + "A path whose last dot-part is itself a verb name (a file called `x.list`) can be named with the verb as a separate word: `resh file:///tmp/x.list stat`.",
    };
}
