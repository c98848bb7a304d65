using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Config.Kv;

/// <summary>
/// The embedded key-value store: one JSON file per store in the state directory (<c>config-kv/NAME.json</c>, 0600),
/// changed only while holding a flock on <c>NAME.lock</c> beside it and replaced atomically (temporary file, fsync,
/// rename), so concurrent resh processes serialise their writes and readers never see a torn file. A store revision
/// counts every write (like etcd's); each key keeps the revision that created it and the one that last changed it,
/// and the last <see cref="History"/> changes are kept for watch, which polls the file.
/// </summary>
internal sealed class EmbeddedKvStore(ReshPaths paths, string name, Func<string, string> display) : IKvStore
{
    /// <summary>Changes kept for watch; a watcher further behind than this is told its start was compacted.</summary>
    const int History = 1000;
    const long MaxFileBytes = 256L << 20;

    public string Backend => "embedded";

    string Dir => paths.RequiredStateSubdir("config-kv");
    string FilePath => Path.Combine(Dir, name + ".json");

    sealed class State
    {
        public long Revision;
        public long Compacted;
        public SortedDictionary<string, KvEntry> Keys = new(StringComparer.Ordinal);
        public List<KvEvent> Events = [];
    }

    State Load()
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(FilePath);
            if (info.Exists && info.Length > MaxFileBytes)
                throw ReshError.Failed($"The embedded store {name} ({FilePath}) is larger than {MaxFileBytes >> 20} MiB.", "Delete keys you no longer need.").ToException();
            bytes = File.ReadAllBytes(FilePath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return new State(); }
        try
        {
            var root = JsonNode.Parse(bytes)!.AsObject();
            var state = new State { Revision = root["revision"]!.GetValue<long>(), Compacted = root["compacted"]?.GetValue<long>() ?? 0 };
            foreach (var (k, v) in root["keys"]!.AsObject())
                state.Keys[k] = new KvEntry(k, v!["value"]!.GetValue<string>(), v["mod"]!.GetValue<long>(), v["create"]!.GetValue<long>(), v["version"]!.GetValue<long>());
            foreach (var e in root["events"]!.AsArray())
                state.Events.Add(new KvEvent(e!["type"]!.GetValue<string>(), e["key"]!.GetValue<string>(), e["value"]?.GetValue<string>(), e["revision"]!.GetValue<long>()));
            return state;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException or KeyNotFoundException)
        {
            throw ReshError.Failed($"The embedded store {name} ({FilePath}) is not a store resh wrote: {Resh.Core.Errors.ExceptionTranslation.OneLine(e.Message)}.",
                "Move the file aside; resh starts an empty store in its place.").ToException();
        }
    }

    void Save(State state)
    {
        var keys = new JsonObject();
        foreach (var (k, v) in state.Keys)
            keys[k] = new JsonObject { ["value"] = v.Value, ["create"] = v.CreateRevision, ["mod"] = v.Revision, ["version"] = v.Version };
        var events = new JsonArray();
        foreach (var e in state.Events)
            events.Add((JsonNode)new JsonObject { ["type"] = e.Type, ["key"] = e.Key, ["value"] = e.Value, ["revision"] = e.Revision });
        var root = new JsonObject { ["revision"] = state.Revision, ["compacted"] = state.Compacted, ["keys"] = keys, ["events"] = events };
        AtomicFile.Write(FilePath, System.Text.Encoding.UTF8.GetBytes(root.ToJsonString()), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    FileStream Lock(CancellationToken ct) => FileLock.Open(Path.Combine(Dir, name + ".lock"), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(2), ct);

    static void Record(State state, KvEvent change)
    {
        state.Events.Add(change);
        if (state.Events.Count > History)
        {
            var drop = state.Events.Count - History;
            state.Compacted = state.Events[drop - 1].Revision;
            state.Events.RemoveRange(0, drop);
        }
    }

    public Task<KvEntry?> GetAsync(string key, CancellationToken ct) =>
        Task.FromResult(Load().Keys.TryGetValue(key, out var e) ? e : null);

    public Task<KvWrite> PutAsync(string key, string value, long? expected, bool dryRun, CancellationToken ct)
    {
        using var held = Lock(ct);
        var state = Load();
        state.Keys.TryGetValue(key, out var current);
        KvRules.Expect(display(key), current, expected);
        if (current is not null && current.Value == value) return Task.FromResult(new KvWrite(current, 0, false));
        if (dryRun) return Task.FromResult(new KvWrite(current, 0, true));
        var revision = ++state.Revision;
        state.Keys[key] = new KvEntry(key, value, revision, current?.CreateRevision ?? revision, (current?.Version ?? 0) + 1);
        Record(state, new KvEvent("put", key, value, revision));
        Save(state);
        return Task.FromResult(new KvWrite(current, revision, true));
    }

    public Task<KvWrite> DeleteAsync(string key, long? expected, bool dryRun, CancellationToken ct)
    {
        using var held = Lock(ct);
        var state = Load();
        state.Keys.TryGetValue(key, out var current);
        KvRules.Expect(display(key), current, expected);
        if (current is null) return Task.FromResult(new KvWrite(null, 0, false));
        if (dryRun) return Task.FromResult(new KvWrite(current, 0, true));
        var revision = ++state.Revision;
        state.Keys.Remove(key);
        Record(state, new KvEvent("delete", key, null, revision));
        Save(state);
        return Task.FromResult(new KvWrite(current, revision, true));
    }

    public Task<KvListing> ListAsync(string prefix, int limit, CancellationToken ct)
    {
        var state = Load();
        var under = state.Keys.Values.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal));
        var entries = under.Take(limit + 1).ToList();
        var more = entries.Count > limit;
        if (more) entries.RemoveAt(limit);
        return Task.FromResult(new KvListing(entries, more, state.Revision));
    }

    /// <summary>Polls the store (10ms, doubling to 250ms while nothing changes) and hands on the recorded changes after the last one seen.</summary>
    public async Task<long> WatchAsync(string prefix, long? after, Func<KvEvent, bool> onEvent, CancellationToken ct)
    {
        var last = after ?? Load().Revision;
        var pause = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var state = Load();
            if (state.Revision > last)
            {
                if (state.Compacted > last)
                    throw ReshError.Conflict($"The embedded store {name} keeps the last {History} changes; the ones after revision {last} are gone (kept from {state.Compacted + 1}).",
                        $"Watch from now (no revision=), or from revision={state.Compacted}.").ToException();
                foreach (var change in state.Events)
                {
                    if (change.Revision <= last) continue;
                    last = change.Revision;
                    if (change.Key.StartsWith(prefix, StringComparison.Ordinal) && !onEvent(change)) return last;
                }
                last = state.Revision;
                pause = TimeSpan.FromMilliseconds(10);
                continue;
            }
            await Task.Delay(pause, ct).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(250, pause.TotalMilliseconds * 2));
        }
    }
}
