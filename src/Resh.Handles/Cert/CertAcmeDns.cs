using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Secrets;

namespace Resh.Handles.Cert;

/// <summary>
/// dns-01 through dns://: the `_acme-challenge.NAME` TXT values are added with dns://NAME.record.add (RFC 2136, TSIG),
/// read back from the server that took the update until it answers them, and deleted with dns://NAME.record.delete.
/// Every call goes through the dns:// verbs themselves (<see cref="NestedCall"/>), so their checks, TSIG handling and
/// error codes (a rejected key is `permission_denied`) are the same as on the command line.
/// </summary>
internal sealed class CertAcmeDns(VerbContext ctx, string? server, string? keyFile, string? keyName, SecretValue? key, string? algorithm, string? zone, TimeSpan wait)
{
    /// <summary>What was published: record name → (values, the server that holds it).</summary>
    readonly Dictionary<string, (List<string> Values, string? Server)> _published = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A one-line description for the result: `dns-01 via 127.0.0.1:5353`.</summary>
    public string Method => "dns-01" + (server is null ? "" : " via " + server);

    JsonObject UpdateArgs(IEnumerable<string> values)
    {
        var args = new JsonObject { ["type"] = "TXT", ["value"] = new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create("\"" + v + "\"")!)]) };
        if (server is not null) args["server"] = server;
        if (zone is not null) args["zone"] = zone;
        if (keyFile is not null) args["key_file"] = keyFile;
        if (keyName is not null) args["key_name"] = keyName;
        // The resolved secret is handed over in memory as given input (never a literal, never argv).
        if (key is not null) args["key"] = SecretRef.Forwarded(key);
        if (algorithm is not null) args["algorithm"] = algorithm;
        return args;
    }

    /// <summary>Adds the TXT values (one update per record name); the first failure is raised as the dns:// verb reported it.</summary>
    public async Task PublishAsync(IReadOnlyList<AcmeChallenge> challenges)
    {
        foreach (var group in challenges.GroupBy(c => c.DnsName, StringComparer.OrdinalIgnoreCase))
        {
            var values = group.Select(c => c.DnsValue).Distinct().ToList();
            var args = UpdateArgs(values);
            args["ttl"] = 60;
            // Counted as published before the update goes out: one that timed out or was interrupted may have been
            // applied by the server all the same, so it is removed (or named in a warning) like one that answered.
            _published[group.Key] = (values, server);
            var env = await NestedCall.RunAsync(ctx, "dns://" + group.Key, "record.add", args).ConfigureAwait(false);
            if (!env.Ok)
            {
                if (env.Error!.Code is not (ErrorCode.Timeout or ErrorCode.Interrupted)) _published.Remove(group.Key); // refused: nothing was applied
                throw (env.Error! with { Message = $"Publishing the dns-01 record {group.Key} TXT failed: {env.Error!.Message}" }).ToException();
            }
            var result = env.ResultAsNode();
            _published[group.Key] = (values, result?["server"]?.GetValue<string>() ?? server);
        }
    }

    /// <summary>Polls the server that took each update (TCP, no recursion) until it answers every value; `timeout` after dns_wait=.</summary>
    public async Task WaitVisibleAsync()
    {
        var deadline = DateTimeOffset.UtcNow + wait;
        foreach (var (name, (values, holder)) in _published)
        {
            var args = new JsonObject { ["type"] = "TXT", ["recurse"] = false, ["tcp"] = true };
            if (holder is not null) args["server"] = holder;
            while (true)
            {
                var env = await NestedCall.RunAsync(ctx, "dns://" + name, "query", args).ConfigureAwait(false);
                var seen = env.Ok && env.ResultAsNode()?["answer"] is JsonArray answer
                    ? answer.Select(a => a?["data"]?.GetValue<string>()?.Trim('"')).ToHashSet(StringComparer.Ordinal)
                    : [];
                if (values.All(seen.Contains)) break;
                if (DateTimeOffset.UtcNow >= deadline)
                    throw ReshError.Timeout($"{holder ?? "The name server"} did not answer the dns-01 record {name} TXT within {wait.TotalSeconds:0} s of the update.",
                        "Check that dns_server= is the zone's primary, or raise dns_wait=.", new JsonObject { ["record"] = name }).ToException();
                await Task.Delay(250, ctx.Cancellation).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Deletes every value this call published, also after a failure or a cancelled call (with its own 30 s bound);
    /// a record that could not be removed is a warning naming it, so the operator can remove it.
    /// </summary>
    public async Task RemoveAsync()
    {
        foreach (var (name, (values, _)) in _published)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                var env = await NestedCall.RunAsync(ctx, "dns://" + name, "record.delete", UpdateArgs(values), cts.Token).ConfigureAwait(false);
                if (!env.Ok) ctx.Warn($"The dns-01 record {name} TXT could not be removed: {env.Error!.Message} Remove it with dns://{name}.record.delete type=TXT.");
            }
            catch (Exception ex) when (ex is ReshException or OperationCanceledException)
            {
                ctx.Warn($"The dns-01 record {name} TXT could not be removed: {ex.Message} Remove it with dns://{name}.record.delete type=TXT.");
            }
        }
        _published.Clear();
    }
}
