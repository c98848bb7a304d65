using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Svc;

/// <summary>
/// A real systemd booted as PID 1 of a systemd-nspawn container (tests/setup/svc-systemd.sh), with the
/// native resh binary copied to /opt/resh/resh inside. resh runs in the container's namespaces, so it
/// reaches that systemd exactly as it would on a host. One container per collection, torn down even on failure.
/// </summary>
public sealed class SystemdContainer : IDisposable
{
    public const string ReshInside = "/opt/resh/resh";

    public SystemdContainer()
    {
        Namespaced.RequireRoot();
        Name = "reshsvc" + Guid.NewGuid().ToString("N")[..8];
        Dir = Path.Combine(Path.GetTempPath(), Name);
        try
        {
            Leader = int.Parse(Namespaced.Setup("svc-systemd.sh", "boot", Dir, Name, ReshBinary.Path), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }
    public string Dir { get; }
    /// <summary>The container's PID 1 (systemd), as the host sees it.</summary>
    public int Leader { get; }

    /// <summary>A path inside the container, reached from the host through /proc/PID/root (sees its tmpfs /run and /tmp too).</summary>
    public string HostPath(string inside) => $"/proc/{Leader}/root{inside}";

    public ReshRun Resh(params string[] args) => Namespaced.Resh(Leader, "-a", ReshInside, args);

    public (int ExitCode, string Stdout, string Stderr) Exec(params string[] argv) => Namespaced.Run(Leader, "-a", argv);

    public void Dispose()
    {
        try { Namespaced.Setup("svc-systemd.sh", "stop", Dir, Name); }
        catch (Exception) { /* best effort: the script kills by PID and removes cgroups */ }
        try { if (Directory.Exists(Dir)) Directory.Delete(Dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class SystemdCollection : ICollectionFixture<SystemdContainer>
{
    public const string Name = "systemd container";
}
