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
        // The resolver loads NSS modules and may ask DNS: only when the answer is more than the bare name.
        var fqdn = ctx.WantsRaw ? null : CanonicalName.Of(host, TimeSpan.FromSeconds(2));
        var result = new HostnameResult(host, fqdn, domain);
        return new Outcome<HostnameResult>(result, false).WithRaw(RawPayload.FromText(host));
    }

    static string? ReadTrim(string path)
    {
        try { return System.IO.File.ReadAllText(path).Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
