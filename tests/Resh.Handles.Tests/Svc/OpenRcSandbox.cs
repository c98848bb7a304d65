using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Svc;

/// <summary>
/// OpenRC in its own mount namespace (tests/setup/svc-openrc.sh): the sandbox's init scripts, runlevels
/// and state replace the host's, and resh runs inside that namespace. Services are stopped by PID and the
/// namespace holder killed on dispose.
/// </summary>
public sealed class OpenRcSandbox : IDisposable
{
    readonly TempDir _dir = new("reshsvc-openrc");

    public OpenRcSandbox()
    {
        Namespaced.RequireRoot();
        Directory.CreateDirectory(Run);
        try
        {
            Holder = int.Parse(Namespaced.Setup("svc-openrc.sh", "start", _dir.Path), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch
        {
            _dir.Dispose();
            throw;
        }
        Script("reshorc-ok", "command=\"/bin/sleep\"\ncommand_args=\"100000\"\ncommand_background=true\n");
        Script("reshorc-fail", "command=\"/bin/sleep\"\ncommand_args=\"100000\"\ncommand_background=true\nstart_pre() {\n\teerror \"reshorc-fail refuses to start\"\n\treturn 1\n}\n");
        Script("reshorc-enable", "command=\"/bin/sleep\"\ncommand_args=\"100000\"\ncommand_background=true\n");
    }

    public int Holder { get; }
    public string Dir => _dir.Path;
    /// <summary>Where the sandbox's daemons keep their pidfiles (host-visible, so teardown can kill them).</summary>
    public string Run => _dir["run"];

    void Script(string name, string body)
    {
        var path = _dir.File($"initd/{name}", $"#!/sbin/openrc-run\ndescription=\"{name} test service\"\npidfile=\"{Run}/{name}.pid\"\n{body}");
        File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
    }

    public ReshRun Resh(params string[] args) => Namespaced.Resh(Holder, "-m", ReshBinary.Path, args);

    public void Dispose()
    {
        try { Namespaced.Setup("svc-openrc.sh", "stop", _dir.Path); }
        catch (Exception) { /* best effort */ }
        _dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class OpenRcCollection : ICollectionFixture<OpenRcSandbox>
{
    public const string Name = "openrc sandbox";
}
