using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Etcd;

namespace Resh.Handles.Lock;

/// <summary>
/// lock:// on etcd (v3), through the shared JSON-gateway client (<see cref="EtcdClient"/>). A lease is the key
/// <c>resh/lock/NAME</c> holding the holder's JSON, attached to an etcd lease of ttl seconds; taking it is one
/// transaction that puts the key only if it does not exist (create_revision = 0), so two takers never both win.
/// The fencing number is the key's create revision: etcd's revision counter only grows, so a later holder always has
/// a larger one. Release deletes the key only if it is unchanged since it was read (mod_revision compare) and its
/// token matched, then revokes the etcd lease; renewal is a keep-alive of that lease.
/// </summary>
public sealed class EtcdLockBackend : ILockBackend
{
    const string Prefix = "resh/lock/";
    const int MaxNames = 100_000;

    readonly EtcdClient _etcd;

    EtcdLockBackend(EtcdClient etcd) => _etcd = etcd;

    public string Kind => "etcd";
    public string? Server => _etcd.Server;
    public TimeSpan? DefaultTtl => TimeSpan.FromSeconds(30);

    /// <summary>
    /// The etcd server of a [lock.NAME] table: url = "http://HOST:2379", "https://HOST:2379" or "etcd://HOST:2379"
    /// (plain HTTP), user and password (secret-typed) when auth is on, ca or tls = "insecure" for HTTPS, timeout.
    /// </summary>
    public static async Task<ILockBackend> ConnectAsync(VerbContext ctx, Endpoint endpoint, CancellationToken ct) =>
        new EtcdLockBackend(await EtcdClient.ConnectAsync(ctx, endpoint, "the prefix " + Prefix, ct).ConfigureAwait(false));

    static string Key(string name) => Prefix + name;
    static string B64(string text) => EtcdClient.B64(text);
    static string Text(JsonNode? b64) => EtcdClient.Text(b64);
    static long Num(JsonNode? n) => EtcdClient.Num(n);
    Task<JsonObject> PostAsync(string path, JsonObject body, CancellationToken ct) => _etcd.PostAsync(path, body, ct);
    Task<T> Guard<T>(Func<Task<T>> call) => _etcd.Guard(call);
    ReshException Protocol(string what) => _etcd.Protocol(what);

    public Task<LockAttempt> TryAcquireAsync(string name, LockLease lease, TimeSpan? ttl, CancellationToken ct) => Guard(() => TryAcquireCore(name, lease, ttl, ct));

    async Task<LockAttempt> TryAcquireCore(string name, LockLease lease, TimeSpan? ttl, CancellationToken ct)
    {
        var seconds = (long)Math.Ceiling((ttl ?? DefaultTtl!.Value).TotalSeconds);
        var grant = await PostAsync("/v3/lease/grant", new JsonObject { ["TTL"] = seconds }, ct).ConfigureAwait(false);
        var leaseId = grant["ID"]?.ToString() ?? throw Protocol("lease grant answered without an ID");
        var granted = Num(grant["TTL"]);
        var key = B64(Key(name));
        var body = JsonSerializer.Serialize(lease with { Expires = null, Fence = null }, LockJson.Default.LockLease);
        var txn = new JsonObject
        {
            ["compare"] = new JsonArray(new JsonObject { ["key"] = key, ["result"] = "EQUAL", ["target"] = "CREATE", ["create_revision"] = "0" }),
            ["success"] = new JsonArray(new JsonObject { ["request_put"] = new JsonObject { ["key"] = key, ["value"] = B64(body), ["lease"] = leaseId } }),
            ["failure"] = new JsonArray(new JsonObject { ["request_range"] = new JsonObject { ["key"] = key } }),
        };
        JsonObject answer;
        try { answer = await PostAsync("/v3/kv/txn", txn, ct).ConfigureAwait(false); }
        catch { await RevokeQuietly(leaseId).ConfigureAwait(false); throw; }
        if (answer["succeeded"] is JsonValue { } done && done.GetValueKind() == JsonValueKind.True)
        {
            // The put's revision is the key's create revision: the fencing number. An answer resh cannot read after the
            // put took effect still gives the lease back, so the lock is not left taken until its TTL.
            long revision;
            string? unreadable = null;
            revision = 0;
            try { revision = Num(answer["header"]?["revision"]); }
            catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException or ArgumentException)
            {
                unreadable = ExceptionTranslation.OneLine(e.Message).TrimEnd('.');
            }
            // A fence must be a revision etcd could have made: positive (a missing one reads as 0; s33 attacker #8).
            if (unreadable is not null || revision <= 0)
            {
                await RevokeQuietly(leaseId).ConfigureAwait(false);
                throw Protocol($"the lock was taken, but its revision {(unreadable is null ? $"({revision}) is not a positive number" : $"is unreadable ({unreadable})")}; the lease was revoked");
            }
            return new LockAttempt(lease with { Fence = revision, Expires = DateTime.UtcNow.AddSeconds(granted > 0 ? granted : seconds) }, null);
        }
        await RevokeQuietly(leaseId).ConfigureAwait(false);
        var kv = answer["responses"]?[0]?["response_range"]?["kvs"]?[0];
        var holder = kv is null ? null : await LeaseOf(kv, ct).ConfigureAwait(false);
        return new LockAttempt(null, holder ?? Unknown());
    }

    public Task<LockLease?> ReadAsync(string name, CancellationToken ct) => Guard(() => ReadCore(name, ct));

    async Task<LockLease?> ReadCore(string name, CancellationToken ct)
    {
        var kv = await RangeOne(name, ct).ConfigureAwait(false);
        return kv is null ? null : await LeaseOf(kv, ct).ConfigureAwait(false);
    }

    public Task<LockReleaseOutcome> ReleaseAsync(string name, string? token, bool dryRun, CancellationToken ct) => Guard(() => ReleaseCore(name, token, dryRun, ct));

    async Task<LockReleaseOutcome> ReleaseCore(string name, string? token, bool dryRun, CancellationToken ct)
    {
        // Read, check the token, delete only if the key is still that version: bounded retries if it changed between.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var kv = await RangeOne(name, ct).ConfigureAwait(false);
            if (kv is null) return new LockReleaseOutcome(LockReleaseState.NotHeld, null);
            var lease = await LeaseOf(kv, ct).ConfigureAwait(false);
            if (token is not null && !LockStore.SameToken(lease.Token, token)) return new LockReleaseOutcome(LockReleaseState.WrongToken, lease);
            if (dryRun) return new LockReleaseOutcome(LockReleaseState.Released, lease);
            var key = B64(Key(name));
            var txn = new JsonObject
            {
                ["compare"] = new JsonArray(new JsonObject { ["key"] = key, ["result"] = "EQUAL", ["target"] = "MOD", ["mod_revision"] = kv["mod_revision"]?.ToString() ?? "0" }),
                ["success"] = new JsonArray(new JsonObject { ["request_delete_range"] = new JsonObject { ["key"] = key } }),
            };
            var answer = await PostAsync("/v3/kv/txn", txn, ct).ConfigureAwait(false);
            if (answer["succeeded"]?.GetValue<bool>() != true) continue;
            if (kv["lease"] is { } id) await RevokeQuietly(id.ToString()).ConfigureAwait(false);
            return new LockReleaseOutcome(LockReleaseState.Released, lease);
        }
        throw ReshError.Conflict($"The lock {name} kept changing while it was being released.", "Retry; another client is taking and releasing it fast.").ToException();
    }

    public Task<bool> RenewAsync(string name, string token, TimeSpan ttl, CancellationToken ct) => Guard(() => RenewCore(name, token, ct));

    async Task<bool> RenewCore(string name, string token, CancellationToken ct)
    {
        var kv = await RangeOne(name, ct).ConfigureAwait(false);
        if (kv is null || kv["lease"] is not { } id) return false;
        var lease = await LeaseOf(kv, ct).ConfigureAwait(false);
        if (!LockStore.SameToken(lease.Token, token)) return false;
        // One keep-alive on the gateway's stream: it answers {"result":{"TTL":...}}; a TTL of 0 or none means the lease is gone.
        var answer = await PostAsync("/v3/lease/keepalive", new JsonObject { ["ID"] = id.ToString() }, ct).ConfigureAwait(false);
        return Num((answer["result"] ?? answer)["TTL"]) > 0;
    }

    /// <summary>A server cannot watch a local process: the lease lives by its TTL and run's renewals.</summary>
    public Task AdoptChildAsync(string name, string token, int childPid, CancellationToken ct) => Task.CompletedTask;

    public Task<IReadOnlyList<string>> NamesAsync(CancellationToken ct) => Guard(() => NamesCore(ct));

    async Task<IReadOnlyList<string>> NamesCore(CancellationToken ct)
    {
        var end = Prefix[..^1] + (char)(Prefix[^1] + 1);
        var answer = await PostAsync("/v3/kv/range", new JsonObject
        {
            ["key"] = B64(Prefix), ["range_end"] = B64(end), ["keys_only"] = true, ["limit"] = MaxNames,
        }, ct).ConfigureAwait(false);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var kv in answer["kvs"]?.AsArray() ?? [])
            if (Text(kv?["key"]) is { } k && k.StartsWith(Prefix, StringComparison.Ordinal)) names.Add(k[Prefix.Length..]);
        return names.ToList();
    }

    async Task<JsonNode?> RangeOne(string name, CancellationToken ct)
    {
        var answer = await PostAsync("/v3/kv/range", new JsonObject { ["key"] = B64(Key(name)) }, ct).ConfigureAwait(false);
        return answer["kvs"]?[0];
    }

    /// <summary>The holder a key's value names, with the fence (create revision) and the expiry its etcd lease has left.</summary>
    async Task<LockLease> LeaseOf(JsonNode kv, CancellationToken ct)
    {
        LockLease? lease;
        try { lease = JsonSerializer.Deserialize(Text(kv["value"]), LockJson.Default.LockLease); }
        catch (Exception e) when (e is JsonException or FormatException) { lease = null; }
        lease ??= Unknown();
        DateTime? expires = null;
        if (kv["lease"] is { } id)
        {
            var ttl = await PostAsync("/v3/lease/timetolive", new JsonObject { ["ID"] = id.ToString() }, ct).ConfigureAwait(false);
            if (Num(ttl["TTL"]) is var left && left >= 0) expires = DateTime.UtcNow.AddSeconds(left);
        }
        return lease with { Fence = Num(kv["create_revision"]), Expires = expires };
    }

    /// <summary>A value resh did not write (or cannot read): the lock is held, by someone unknown.</summary>
    static LockLease Unknown() => new("", 0, 0, null, null, "unknown", DateTime.UtcNow, null, "held by a value resh cannot read");

    async Task RevokeQuietly(string leaseId)
    {
        try { await PostAsync("/v3/lease/revoke", new JsonObject { ["ID"] = leaseId }, CancellationToken.None).ConfigureAwait(false); }
        catch (ReshException) { } // the lease ends by its TTL
    }
}
