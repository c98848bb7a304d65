namespace Resh.TestSupport;

/// <summary>
/// What a test class of `resh serve` shares: a temp dir with state/ (RESH_HOME) and data/, the config file the class
/// writes (<see cref="Config"/>), the servers it started (<see cref="ServeProcess"/>, stopped by PID on Dispose) and
/// tokens made with `resh token create`.
/// </summary>
public abstract class ServeTestBase : IDisposable
{
    readonly List<ServeProcess> _servers = [];

    protected TempDir Dir { get; }
    protected string State { get; }
    protected string Data { get; }
    /// <summary>The config file (RESH_CONFIG); the class writes it in its constructor.</summary>
    protected string Config { get; set; } = "";

    protected ServeTestBase(string name)
    {
        Dir = new TempDir(name);
        State = Dir["state"];
        Data = Dir["data"];
        Directory.CreateDirectory(Data);
    }

    protected Dictionary<string, string> Env => new() { ["RESH_HOME"] = State, ["RESH_CONFIG"] = Config };

    protected string Token(string name, string role, string? expires = null) => ServeProcess.Token(Env, name, role, expires);

    /// <summary>Starts `resh serve --listen 127.0.0.1:PORT EXTRA...` with this class's state and config.</summary>
    protected ServeProcess StartServe(params string[] extra)
    {
        var server = ServeProcess.Start(State, Config, extra);
        _servers.Add(server);
        return server;
    }

    public virtual void Dispose()
    {
        foreach (var s in _servers) s.Dispose();
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }
}
