using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

public static class SystemHostname
{
    public static readonly VerbInfo Verb = VerbInfo.Define("hostname", Effect.Read,
        "The host name (and fully qualified name when known).",
        [], () => SystemJson.Default.HostnameResult, Run,
        examples: [new("system://.hostname", "This machine's name.")]);

    static Outcome<HostnameResult> Run(VerbContext ctx)
    {
        var host = ReadTrim("/proc/sys/kernel/hostname") ?? Environment.MachineName;
        var domain = ReadTrim("/proc/sys/kernel/domainname");
        if (domain is "(none)" or "") domain = null;
        string? fqdn = null;
        foreach (var line in SafeLines("/etc/hosts"))
        {
            var fields = line.Split('#')[0].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !fields.Skip(1).Contains(host)) continue;
            fqdn = fields.Skip(1).FirstOrDefault(f => f.Contains('.') && f.StartsWith(host + ".", StringComparison.Ordinal));
            if (fqdn is not null) break;
        }
        var result = new HostnameResult(host, fqdn, domain);
        return new Outcome<HostnameResult>(result, false).WithRaw(RawPayload.FromText(host));
    }

    static string? ReadTrim(string path)
    {
        try { return System.IO.File.ReadAllText(path).Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    static IEnumerable<string> SafeLines(string path)
    {
        try { return System.IO.File.ReadAllLines(path); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }
}
