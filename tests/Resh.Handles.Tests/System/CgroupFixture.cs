namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>
/// A throwaway cgroup for one controller (v1 where the host mounts that controller as v1, else v2), removed on
/// dispose. A process joins it by writing its PID to <c>procsFile</c>; it must have exited before disposal.
/// </summary>
internal sealed class CgroupFixture : IDisposable
{
    readonly string _dir;

    CgroupFixture(string dir) => _dir = dir;

    public static CgroupFixture Create(string controller, out string limitFile, out string procsFile, out string version)
    {
        var name = "resh-test-" + Guid.NewGuid().ToString("N")[..10];
        var v1 = controller == "cpu" && Directory.Exists("/sys/fs/cgroup/cpu,cpuacct") ? "/sys/fs/cgroup/cpu,cpuacct" : "/sys/fs/cgroup/" + controller;
        string dir;
        if (File.Exists(Path.Combine(v1, "cgroup.procs")))
        {
            dir = Path.Combine(v1, name);
            version = "v1";
            limitFile = Path.Combine(dir, controller == "memory" ? "memory.limit_in_bytes" : "cpu.cfs_quota_us");
        }
        else if (File.Exists("/sys/fs/cgroup/cgroup.controllers"))
        {
            var subtree = File.ReadAllText("/sys/fs/cgroup/cgroup.subtree_control");
            if (!subtree.Split(' ', StringSplitOptions.TrimEntries).Contains(controller))
                File.WriteAllText("/sys/fs/cgroup/cgroup.subtree_control", "+" + controller);
            dir = Path.Combine("/sys/fs/cgroup", name);
            version = "v2";
            limitFile = Path.Combine(dir, controller == "memory" ? "memory.max" : "cpu.max");
        }
        else throw new InvalidOperationException($"No cgroup hierarchy with the {controller} controller is mounted.");
        Directory.CreateDirectory(dir);
        procsFile = Path.Combine(dir, "cgroup.procs");
        return new CgroupFixture(dir);
    }

    public void Dispose()
    {
        // rmdir only: a cgroup directory is removed with rmdir(2), never by deleting its control files.
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                Directory.Delete(_dir);
                return;
            }
            catch (DirectoryNotFoundException) { return; }
            catch (IOException) { Thread.Sleep(20); } // EBUSY while the last member is still exiting
        }
    }
}
