using System.Text.Json.Nodes;
using Resh.Handles.Etcd;

namespace Resh.Handles.Config.Kv;

/// <summary>
/// config://NAME on etcd v3 (the shared <see cref="EtcdClient"/>): a key of the target is the etcd key as written, a
/// revision is the key's mod_revision. Every write is one transaction guarded by the revision it read (or by
/// create_revision = 0 for an absent key), so a compare-and-set and the `changed: false` check see the same state
/// the write replaces; watch is the gateway's /v3/watch stream.
/// </summary>
internal sealed class EtcdKvStore(EtcdClient etcd, Func<string, string> display) : IKvStore
{
    public string Backend => "etcd";

    static string B64(string s) => EtcdClient.B64(s);

    static KvEntry Entry(JsonNode kv) => new(EtcdClient.Text(kv["key"]), EtcdClient.Text(kv["value"]),
        EtcdClient.Num(kv["mod_revision"]), EtcdClient.Num(kv["create_revision"]), EtcdClient.Num(kv["version"]));

    public Task<KvEntry?> GetAsync(string key, CancellationToken ct) => etcd.Guard(async () =>
    {
        var answer = await etcd.PostAsync("/v3/kv/range", new JsonObject { ["key"] = B64(key) }, ct).ConfigureAwait(false);
        return answer["kvs"]?[0] is { } kv ? Entry(kv) : null;
    });

    public Task<KvWrite> PutAsync(string key, string value, long? expected, bool dryRun, CancellationToken ct) =>
        Write(key, expected, dryRun, current => current is not null && current.Value == value,
            new JsonObject { ["request_put"] = new JsonObject { ["key"] = B64(key), ["value"] = B64(value) } }, ct);

    public Task<KvWrite> DeleteAsync(string key, long? expected, bool dryRun, CancellationToken ct) =>
        Write(key, expected, dryRun, current => current is null,
            new JsonObject { ["request_delete_range"] = new JsonObject { ["key"] = B64(key) } }, ct);

    Task<KvWrite> Write(string key, long? expected, bool dryRun, Func<KvEntry?, bool> unchanged, JsonObject operation, CancellationToken ct) => etcd.Guard(async () =>
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = await GetAsync(key, ct).ConfigureAwait(false);
            KvRules.Expect(display(key), current, expected);
            if (unchanged(current)) return new KvWrite(current, 0, false);
            if (dryRun) return new KvWrite(current, 0, true);
            var compare = current is null
                ? new JsonObject { ["key"] = B64(key), ["result"] = "EQUAL", ["target"] = "CREATE", ["create_revision"] = "0" }
                : new JsonObject { ["key"] = B64(key), ["result"] = "EQUAL", ["target"] = "MOD", ["mod_revision"] = current.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            var answer = await etcd.PostAsync("/v3/kv/txn", new JsonObject
            {
                ["compare"] = new JsonArray(compare),
                ["success"] = new JsonArray(operation.DeepClone()),
            }, ct).ConfigureAwait(false);
            if (answer["succeeded"] is JsonValue done && done.GetValue<bool>())
            {
                var revision = EtcdClient.Num(answer["header"]?["revision"]);
                if (revision <= 0) throw etcd.Protocol("a write answered without a positive revision");
                return new KvWrite(current, revision, true);
            }
            // It moved between the read and the write: the next round reads it again (and refuses, under a compare-and-set).
        }
        throw KvRules.KeptChanging(display(key));
    });

    public Task<KvListing> ListAsync(string prefix, int limit, CancellationToken ct) => etcd.Guard(async () =>
    {
        var answer = await etcd.PostAsync("/v3/kv/range", new JsonObject
        {
            ["key"] = prefix.Length == 0 ? "AA==" : B64(prefix), ["range_end"] = EtcdClient.PrefixEnd(prefix), ["limit"] = limit,
        }, ct).ConfigureAwait(false);
        var entries = (answer["kvs"]?.AsArray() ?? []).Where(kv => kv is not null).Select(kv => Entry(kv!)).ToList();
        var more = answer["more"] is JsonValue m && m.GetValue<bool>();
        return new KvListing(entries, more, EtcdClient.Num(answer["header"]?["revision"]));
    });

    public Task<long> WatchAsync(string prefix, long? after, Func<KvEvent, bool> onEvent, CancellationToken ct) => etcd.Guard(async () =>
    {
        var start = after ?? (await ListAsync(prefix, 1, ct).ConfigureAwait(false)).Revision;
        var last = start;
        var create = new JsonObject
        {
            ["key"] = prefix.Length == 0 ? "AA==" : B64(prefix), ["range_end"] = EtcdClient.PrefixEnd(prefix),
            ["start_revision"] = (start + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        await etcd.StreamAsync("/v3/watch", new JsonObject { ["create_request"] = create }, line =>
        {
            var result = line["result"] as JsonObject ?? throw etcd.Protocol("a watch line has no result");
            if (EtcdClient.Num(result["compact_revision"]) is > 0 and var compacted)
                throw Resh.Core.Errors.ReshError.Conflict($"etcd compacted its history past revision {start} (to {compacted}); the changes after {start} are gone.",
                    $"Watch from now (no revision=), or from revision={compacted}.").ToException();
            if (result["canceled"] is JsonValue c && c.GetValue<bool>())
                throw Resh.Core.Errors.ReshError.Failed($"etcd at {etcd.Server} cancelled the watch: {result["cancel_reason"]?.GetValue<string>() ?? "no reason given"}.", "Check the server's log.").ToException();
            foreach (var ev in result["events"]?.AsArray() ?? [])
            {
                if (ev?["kv"] is not { } kv) continue;
                var delete = ev["type"]?.GetValue<string>() == "DELETE";
                var revision = EtcdClient.Num(kv["mod_revision"]);
                last = Math.Max(last, revision);
                if (!onEvent(new KvEvent(delete ? "delete" : "put", EtcdClient.Text(kv["key"]), delete ? null : EtcdClient.Text(kv["value"]), revision))) return false;
            }
            return true;
        }, ct).ConfigureAwait(false);
        return last;
    });
}
