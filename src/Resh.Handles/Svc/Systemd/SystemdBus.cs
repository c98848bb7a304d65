using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Svc.Systemd;

/// <summary>One row of Manager.ListUnits*: a unit loaded in memory.</summary>
internal sealed record UnitRow(string Name, string Description, string LoadState, string ActiveState, string SubState);

/// <summary>
/// systemd's D-Bus API, spoken the way systemctl speaks it: as root straight to PID 1's private socket
/// (/run/systemd/private, no dbus-daemon needed), otherwise through the system bus. Reads are typed
/// property values, not text.
/// </summary>
internal sealed class SystemdBus : IDisposable
{
    const string Service = "org.freedesktop.systemd1";
    const string ManagerPath = "/org/freedesktop/systemd1";
    const string Manager = "org.freedesktop.systemd1.Manager";
    const string PrivateSocket = "/run/systemd/private";

    readonly DBusClient _client;
    readonly CancellationTokenRegistration _cancel;

    SystemdBus(DBusClient client, CancellationToken ct)
    {
        _client = client;
        // Calls are synchronous socket I/O: cancellation (--timeout, Ctrl-C) closes the socket to unblock them.
        _cancel = ct.Register(static c => ((DBusClient)c!).Dispose(), client);
    }

    public static Task<SystemdBus> ConnectAsync(CancellationToken ct)
    {
        var uid = LibC.GetEUid();
        string path;
        bool isBus;
        if (uid == 0 && System.IO.File.Exists(PrivateSocket)) (path, isBus) = (PrivateSocket, false);
        else
        {
            var address = Environment.GetEnvironmentVariable("DBUS_SYSTEM_BUS_ADDRESS");
            path = address is { } a && a.StartsWith("unix:path=", StringComparison.Ordinal) ? a[10..].Split(',')[0] : "/run/dbus/system_bus_socket";
            isBus = true;
        }
        try
        {
            var client = DBusClient.Connect(path, isBus, uid, TimeSpan.FromSeconds(30));
            return Task.FromResult(new SystemdBus(client, ct));
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or DBusErrorException)
        {
            throw ReshError.Unavailable($"Cannot reach systemd over D-Bus ({path}): {ExceptionTranslation.OneLine(ex.Message)}.",
                "Is systemd running as PID 1 here? Use backend=openrc for OpenRC hosts.").ToException();
        }
    }

    public void Dispose()
    {
        _cancel.Dispose();
        _client.Dispose();
    }

    List<object?> Call(string path, string @interface, string member, string signature, Action<DBusWriter>? body)
    {
        try
        {
            return _client.Call(Service, path, @interface, member, signature, body);
        }
        catch (DBusErrorException ex) when (ex.Name.EndsWith(".AccessDenied", StringComparison.Ordinal) || ex.Name.EndsWith(".InteractiveAuthorizationRequired", StringComparison.Ordinal))
        {
            throw ReshError.PermissionDenied($"systemd refused: {ex.Message}", "Run as root (or grant the polkit action).").ToException();
        }
        catch (DBusErrorException ex)
        {
            throw ReshError.Failed($"systemd answered {ex.Name}: {ex.Message}", null).ToException();
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidDataException)
        {
            throw ReshError.Unavailable($"Lost the D-Bus connection to systemd: {ExceptionTranslation.OneLine(ex.Message)}.", null).ToException();
        }
    }

    /// <summary>The unit's object path; loads the unit from disk when it is not in memory (LoadState tells whether it exists).</summary>
    public string LoadUnit(string name) =>
        (string)Call(ManagerPath, Manager, "LoadUnit", "s", w => w.String(name))[0]!;

    /// <summary>Every property of every interface of an object (GetAll with an empty interface, as systemctl show does).</summary>
    public Dictionary<string, object?> GetAll(string path) =>
        (Dictionary<string, object?>)Call(path, "org.freedesktop.DBus.Properties", "GetAll", "s", w => w.String(""))[0]!;

    public List<UnitRow> ListUnitsByPatterns(IReadOnlyList<string> states, IReadOnlyList<string> patterns)
    {
        var rows = (List<object?>)Call(ManagerPath, Manager, "ListUnitsByPatterns", "asas", w => { w.StringArray(states); w.StringArray(patterns); })[0]!;
        return rows.Cast<object?[]>().Select(r => new UnitRow((string)r[0]!, (string)r[1]!, (string)r[2]!, (string)r[3]!, (string)r[4]!)).ToList();
    }

    /// <summary>Unit files on disk (path, enablement state), loaded or not.</summary>
    public List<(string Path, string State)> ListUnitFiles(IReadOnlyList<string> patterns)
    {
        var rows = (List<object?>)Call(ManagerPath, Manager, "ListUnitFilesByPatterns", "asas", w => { w.StringArray([]); w.StringArray(patterns); })[0]!;
        return rows.Cast<object?[]>().Select(r => ((string)r[0]!, (string)r[1]!)).ToList();
    }
}
