using System.Runtime.InteropServices;
using Resh.Core.Errors;

namespace Resh.Handles.Firewall;

/// <summary>
/// Starts a program that outlives resh: posix_spawn with POSIX_SPAWN_SETSID (its own session, so no
/// terminal hang-up reaches it) and stdin/stdout/stderr on /dev/null (so nobody waits for its output).
/// It is not waited for; when resh exits it is re-parented like any daemon.
/// </summary>
public static unsafe partial class DetachedProcess
{
    const short PosixSpawnSetSid = 0x80;
    const int ORdWr = 2;

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")] private static partial int FaInit(byte* fa);
    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")] private static partial int FaDestroy(byte* fa);
    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FaAddOpen(byte* fa, int fd, string path, int oflag, uint mode);
    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")] private static partial int AttrInit(byte* attr);
    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")] private static partial int AttrDestroy(byte* attr);
    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")] private static partial int AttrSetFlags(byte* attr, short flags);
    [LibraryImport("libc", EntryPoint = "posix_spawn", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int PosixSpawn(int* pid, string path, byte* fa, byte* attr, nint* argv, nint* envp);

    public static int Start(string path, IReadOnlyList<string> argv)
    {
        var env = Environment.GetEnvironmentVariables();
        var envList = new List<string>();
        foreach (System.Collections.DictionaryEntry e in env) envList.Add($"{e.Key}={e.Value}");
        var handles = new List<nint>();
        try
        {
            nint* av = stackalloc nint[argv.Count + 1];
            for (int i = 0; i < argv.Count; i++) { av[i] = Marshal.StringToCoTaskMemUTF8(argv[i]); handles.Add(av[i]); }
            av[argv.Count] = 0;
            var ev = (nint*)NativeMemory.Alloc((nuint)(envList.Count + 1), (nuint)sizeof(nint));
            try
            {
                for (int i = 0; i < envList.Count; i++) { ev[i] = Marshal.StringToCoTaskMemUTF8(envList[i]); handles.Add(ev[i]); }
                ev[envList.Count] = 0;
                byte* fa = stackalloc byte[512];
                byte* attr = stackalloc byte[512];
                FaInit(fa);
                AttrInit(attr);
                try
                {
                    for (int fd = 0; fd < 3; fd++) FaAddOpen(fa, fd, "/dev/null", ORdWr, 0);
                    AttrSetFlags(attr, PosixSpawnSetSid);
                    int pid;
                    var rc = PosixSpawn(&pid, path, fa, attr, av, ev);
                    if (rc != 0) throw ReshError.Failed($"Could not start the rollback timer: {Marshal.GetPInvokeErrorMessage(rc)}.", null).ToException();
                    return pid;
                }
                finally
                {
                    FaDestroy(fa);
                    AttrDestroy(attr);
                }
            }
            finally { NativeMemory.Free(ev); }
        }
        finally
        {
            foreach (var h in handles) Marshal.FreeCoTaskMem(h);
        }
    }
}
