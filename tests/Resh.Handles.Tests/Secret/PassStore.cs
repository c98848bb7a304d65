using Resh.TestSupport;

namespace Resh.Handles.Tests.Secret;

/// <summary>
/// A real password-store for the pass backend: a throwaway GNUPGHOME with a key made for this run, a store
/// initialised with it, entries inserted with pass(1). The gpg agent it starts is stopped at the end.
/// </summary>
public sealed class PassStore : IDisposable
{
    readonly TempDir _dir = new("pass");

    public PassStore()
    {
        GnupgHome = Path.Combine(_dir.Path, "gnupg");
        Store = Path.Combine(_dir.Path, "store");
        Directory.CreateDirectory(GnupgHome, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Gpg("--batch", "--passphrase", "", "--quick-gen-key", "resh test <resh-test@localhost>", "default", "default", "never");
        var colons = Gpg("--list-keys", "--with-colons");
        Fingerprint = colons.Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
        Pass(null, "init", Fingerprint);
    }

    public string GnupgHome { get; }
    public string Store { get; }
    public string Fingerprint { get; }

    public Dictionary<string, string> Env => new() { ["GNUPGHOME"] = GnupgHome, ["PASSWORD_STORE_DIR"] = Store };

    public void Insert(string name, string content) => Pass(content, "insert", "--multiline", "--force", name);

    string Gpg(params string[] args) => Run(["gpg", "--homedir", GnupgHome, .. args], null);

    string Pass(string? stdin, params string[] args) => Run(["pass", .. args], stdin);

    string Run(string[] argv, string? stdin)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(argv[0])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Env) psi.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException(string.Join(' ', argv)); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', argv)} exited {p.ExitCode}: {e.Result}");
        return o.Result;
    }

    public void Dispose()
    {
        try { Run(["gpgconf", "--homedir", GnupgHome, "--kill", "gpg-agent"], null); } catch (InvalidOperationException) { }
        _dir.Dispose();
    }
}
