using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Cache.CacheAssert;

namespace Resh.Handles.Tests.Cache;

[Collection("cache")]
public sealed class CacheRedisTests(CacheBackend cache)
{
    static string P() => "t" + Guid.NewGuid().ToString("N")[..10] + ":";

    [Fact]
    public void The_issue_calls_set_with_a_ttl_then_get_work_as_written()
    {
        var k = P() + "k";
        // ./resh 'cache://127.0.0.1:6379.set(key=k,value=v,ttl=1m)'   ./resh cache://127.0.0.1:6379.get key=k
        var set = ReshBinary.Run([$"{cache.Redis}.set(key={k},value=v,ttl=1m)", cache.Auth]);
        var r = Ok(set);
        Assert.True(set.Changed);
        Assert.Equal("redis", r["backend"]!.GetValue<string>());
        Assert.Equal(60, r["ttl_seconds"]!.GetValue<double>());
        var get = Ok(ReshBinary.Run([$"{cache.Redis}.get", $"key={k}", cache.Auth]));
        Assert.Equal("v", get["value"]!.GetValue<string>());
        Assert.Equal("string", get["type"]!.GetValue<string>());
        var ttl = int.Parse(cache.Cli("TTL", k));
        Assert.InRange(ttl, 50, 60);
    }

    [Fact]
    public void A_short_ttl_expires_and_the_key_is_then_absent()
    {
        var k = P() + "short";
        Ok(cache.R("set", $"key={k}", "value=x", "ttl=700ms"));
        var ttl = Ok(cache.R("ttl", $"key={k}"));
        Assert.InRange(ttl["ttl_seconds"]!.GetValue<double>(), 0.001, 0.7);
        Assert.False(ttl["persistent"]!.GetValue<bool>());
        Eventually(() => cache.Cli("EXISTS", k) == "0", "expiry");
        var get = Ok(cache.R("get", $"key={k}"));
        Assert.False(get["exists"]!.GetValue<bool>());
        Assert.Null(get["value"]);
        Assert.False(Ok(cache.R("ttl", $"key={k}"))["exists"]!.GetValue<bool>());
    }

    [Fact]
    public void Binary_values_round_trip_as_base64_from_a_file_and_from_base64_input()
    {
        using var tmp = new TempDir("cachebin");
        var bytes = new byte[] { 0xff, 0x00, 0x41, 0xc3, 0x28, 0x0a, 0x80 };
        var file = tmp["blob.bin"];
        File.WriteAllBytes(file, bytes);
        var k = P() + "bin";
        Ok(cache.R("set", $"key={k}", $"value=@{file}"));
        Assert.Equal(Convert.ToHexString(bytes), HexOf(k));
        var get = Ok(cache.R("get", $"key={k}"));
        Assert.Equal("base64", get["encoding"]!.GetValue<string>());
        Assert.Equal(bytes, Convert.FromBase64String(get["value"]!.GetValue<string>()));
        Assert.Equal(bytes.Length, get["length"]!.GetValue<long>());

        var k2 = P() + "b64";
        Ok(cache.R("set", $"key={k2}", $"value={Convert.ToBase64String(bytes)}", "encoding=base64"));
        Assert.Equal(Convert.ToHexString(bytes), HexOf(k2));
        var m = Ok(cache.R("mget", $"keys={k},{k2}"));
        Assert.All(m["items"]!.AsArray(), i => Assert.Equal(bytes, Convert.FromBase64String(i!["value"]!.GetValue<string>())));
        // Text stays text: valid UTF-8 is never base64.
        var k3 = P() + "utf8";
        Ok(cache.R("set", $"key={k3}", "value=héllo ✓"));
        var t = Ok(cache.R("get", $"key={k3}"));
        Assert.Equal("utf8", t["encoding"]!.GetValue<string>());
        Assert.Equal("héllo ✓", t["value"]!.GetValue<string>());
        CacheAssert.Fails(cache.R("set", $"key={k3}", "value=not base64!", "encoding=base64"), "usage");
    }

    string HexOf(string key) => cache.Cli("--no-raw", "EVAL", "local v = redis.call('GET', KEYS[1]); local h = ''; for i = 1, #v do h = h .. string.format('%02X', v:byte(i)) end; return h", "1", key).Trim('"');

    [Fact]
    public void Get_is_type_aware_for_hashes_lists_sets_sorted_sets_and_streams()
    {
        var p = P();
        cache.Cli("HSET", p + "h", "b", "2", "a", "1");
        cache.Cli("RPUSH", p + "l", "x", "y", "x");
        cache.Cli("SADD", p + "s", "m2", "m1");
        cache.Cli("ZADD", p + "z", "2.5", "b", "1", "a");
        var id = cache.Cli("XADD", p + "x", "*", "f", "v", "g", "w");

        var h = Ok(cache.R("get", $"key={p}h"));
        Assert.Equal("hash", h["type"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["a"] = "1", ["b"] = "2" }, h["value"]), h.ToJsonString());
        var l = Ok(cache.R("get", $"key={p}l"));
        Assert.Equal("list", l["type"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(new JsonArray("x", "y", "x"), l["value"]), l.ToJsonString());
        var s = Ok(cache.R("get", $"key={p}s"));
        Assert.Equal("set", s["type"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(new JsonArray("m1", "m2"), s["value"]), s.ToJsonString());
        var z = Ok(cache.R("get", $"key={p}z"));
        Assert.Equal("zset", z["type"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[{\"member\":\"a\",\"score\":1},{\"member\":\"b\",\"score\":2.5}]"), z["value"]), z.ToJsonString());
        var x = Ok(cache.R("get", $"key={p}x"));
        Assert.Equal("stream", x["type"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($"[{{\"id\":\"{id}\",\"fields\":{{\"f\":\"v\",\"g\":\"w\"}}}}]"), x["value"]), x.ToJsonString());
        Assert.Equal(1, x["length"]!.GetValue<long>());
    }

    [Fact]
    public void Nx_and_xx_write_only_when_their_condition_holds_and_say_so()
    {
        var k = P() + "cond";
        var xx = cache.R("set", $"key={k}", "value=1", "xx=true");
        Assert.False(Ok(xx)["written"]!.GetValue<bool>());
        Assert.False(xx.Changed);
        Assert.Equal("0", cache.Cli("EXISTS", k));
        var nx = cache.R("set", $"key={k}", "value=first", "nx=true");
        Assert.True(Ok(nx)["written"]!.GetValue<bool>());
        Assert.False(nx.Result!["existed"]!.GetValue<bool>());
        Assert.True(nx.Changed);
        var nx2 = cache.R("set", $"key={k}", "value=second", "nx=true");
        Assert.False(Ok(nx2)["written"]!.GetValue<bool>());
        Assert.False(nx2.Changed);
        Assert.Equal("first", cache.Cli("GET", k));
        var xx2 = cache.R("set", $"key={k}", "value=third", "xx=true");
        Assert.True(Ok(xx2)["written"]!.GetValue<bool>());
        Assert.Equal("third", cache.Cli("GET", k));
        Fails(cache.R("set", $"key={k}", "value=v", "nx=true", "xx=true"), "usage");
        // A dry run says what would happen and writes nothing.
        var dry = cache.R("set", $"key={k}", "value=dry", "--dry-run");
        Assert.True(dry.Changed);
        Assert.Equal("third", cache.Cli("GET", k));
    }

    [Fact]
    public void Keys_walks_with_scan_bounded_by_limit_and_the_cursor_resumes_to_every_key()
    {
        var p = P();
        var all = Enumerable.Range(0, 60).Select(i => $"{p}{i}").ToHashSet();
        var items = new JsonObject();
        foreach (var k in all) items[k] = "v";
        Ok(ReshBinary.Run([$"{cache.Redis}.mset", $"items:={items.ToJsonString()}", cache.Auth]));
        var first = Ok(cache.R("keys", $"pattern={p}*", "limit=10"));
        Assert.True(first["truncated"]!.GetValue<bool>());
        Assert.NotEqual("0", first["cursor"]!.GetValue<string>());
        Assert.InRange(first["count"]!.GetValue<int>(), 10, 59);
        var seen = new HashSet<string>(first["keys"]!.AsArray().Select(n => n!.GetValue<string>()));
        var cursor = first["cursor"]!.GetValue<string>();
        for (var i = 0; i < 100 && cursor != "0"; i++)
        {
            var page = Ok(cache.R("keys", $"pattern={p}*", "limit=10", $"cursor={cursor}"));
            foreach (var n in page["keys"]!.AsArray()) seen.Add(n!.GetValue<string>());
            cursor = page["cursor"]!.GetValue<string>();
        }
        Assert.Equal("0", cursor);
        Assert.Equal(all.Order(), seen.Order());
        // The server never ran KEYS: its command stats count SCAN calls only.
        Assert.DoesNotContain("cmdstat_keys:", cache.Cli("INFO", "commandstats"));
    }

    [Fact]
    public void Keys_stops_at_exactly_limit_and_the_cursor_resumes_mid_page_without_losing_a_key()
    {
        var p = P();
        var all = Enumerable.Range(0, 97).Select(i => $"{p}{i}").ToHashSet();
        var items = new JsonObject();
        foreach (var k in all) items[k] = "v";
        Ok(ReshBinary.Run([$"{cache.Redis}.mset", $"items:={items.ToJsonString()}", cache.Auth]));
        var seen = new List<string>();
        var cursor = "0";
        var pages = 0;
        do
        {
            var page = Ok(cache.R("keys", $"pattern={p}*", "limit=7", $"cursor={cursor}"));
            var keys = page["keys"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            Assert.Equal(keys.Count, page["count"]!.GetValue<int>());
            cursor = page["cursor"]!.GetValue<string>();
            Assert.Equal(cursor != "0", page["truncated"]!.GetValue<bool>());
            if (cursor != "0") Assert.Equal(7, keys.Count); // exactly the limit, never a whole SCAN page more
            else Assert.InRange(keys.Count, 0, 7);
            seen.AddRange(keys);
        } while (cursor != "0" && ++pages < 200);
        Assert.Equal("0", cursor);
        Assert.Equal(all.Order(), seen.Distinct().Order()); // SCAN may repeat a key; none is lost
        Assert.True(seen.Count <= all.Count + 7, $"{seen.Count} keys for {all.Count}");
        Fails(cache.R("keys", "cursor=not-a-cursor"), "usage");
    }

    [Fact]
    public void Keys_that_are_not_utf8_come_back_as_base64_and_round_trip_through_key_encoding()
    {
        var p = P();
        // A key whose bytes are p + FF 00 80 (not UTF-8), and a text key beside it.
        cache.Cli("EVAL", "redis.call('SET', ARGV[1] .. string.char(255, 0, 128), 'binary'); redis.call('SET', ARGV[1] .. 'text', 't'); return 1", "0", p);
        var raw = Encoding.UTF8.GetBytes(p).Concat(new byte[] { 0xff, 0x00, 0x80 }).ToArray();
        var b64 = Convert.ToBase64String(raw);
        var keys = Ok(cache.R("keys", $"pattern={p}*"));
        Assert.Equal("base64", keys["encoding"]!.GetValue<string>());
        var listed = keys["keys"]!.AsArray().Select(n => Convert.FromBase64String(n!.GetValue<string>())).ToList();
        Assert.Contains(listed, k => k.SequenceEqual(raw));
        Assert.Contains(listed, k => k.SequenceEqual(Encoding.UTF8.GetBytes(p + "text")));
        Assert.Equal("utf8", Ok(cache.R("keys", $"pattern={p}t*"))["encoding"]!.GetValue<string>());

        var get = Ok(cache.R("get", $"key={b64}", "key_encoding=base64"));
        Assert.True(get["exists"]!.GetValue<bool>(), get.ToJsonString());
        Assert.Equal("binary", get["value"]!.GetValue<string>());
        Assert.Equal(b64, get["key"]!.GetValue<string>());
        Assert.True(Ok(cache.R("exists", $"key={b64}", "key_encoding=base64"))["exists"]!.GetValue<bool>());
        var m = Ok(cache.R("mget", $"keys={b64}", "key_encoding=base64"));
        Assert.Equal("binary", m["items"]![0]!["value"]!.GetValue<string>());
        Ok(cache.R("set", $"key={b64}", "value=changed", "key_encoding=base64"));
        Assert.Equal("changed", cache.Cli("EVAL", "return redis.call('GET', ARGV[1] .. string.char(255, 0, 128))", "0", p));
        Assert.True(Ok(cache.R("delete", $"key={b64}", "key_encoding=base64"))["deleted"]!.GetValue<bool>());
        Assert.Equal("0", cache.Cli("EVAL", "return redis.call('EXISTS', ARGV[1] .. string.char(255, 0, 128))", "0", p));
        Fails(cache.R("get", "key=!!not base64", "key_encoding=base64"), "usage");
    }

    [Fact]
    public void A_value_larger_than_max_value_is_refused_and_max_value_raises_the_bound()
    {
        var k = P() + "big";
        cache.Cli("EVAL", "redis.call('SET', KEYS[1], string.rep('x', 5000)); redis.call('RPUSH', KEYS[1] .. 'l', string.rep('y', 3000), string.rep('z', 3000)); return 1", "1", k);
        var refused = cache.R("get", $"key={k}", "max_value=4KiB");
        Fails(refused, "failed");
        Assert.Equal("too_large", refused.Envelope["error"]!["details"]!["reason"]!.GetValue<string>());
        Assert.Equal(5000, Ok(cache.R("get", $"key={k}", "max_value=8KiB"))["length"]!.GetValue<long>());
        // A list is bounded as a whole reply, not only element by element.
        Fails(cache.R("get", $"key={k}l", "max_value=4KiB"), "failed");
        Assert.Equal(2, Ok(cache.R("get", $"key={k}l", "max_value=8KiB"))["length"]!.GetValue<long>());
    }

    [Fact]
    public void Counters_mget_mset_exists_delete_and_expire_behave_like_redis()
    {
        var p = P();
        Assert.Equal(1, Ok(cache.R("incr", $"key={p}c"))["value"]!.GetValue<long>());
        Assert.Equal(6, Ok(cache.R("incr", $"key={p}c", "by=5"))["value"]!.GetValue<long>());
        Assert.Equal(4, Ok(cache.R("decr", $"key={p}c", "by=2"))["value"]!.GetValue<long>());
        Assert.Equal("4", cache.Cli("GET", p + "c"));
        Ok(ReshBinary.Run([$"{cache.Redis}.mset", $"items:={{\"{p}a\":\"1\",\"{p}b\":\"2\"}}", "ttl=1h", cache.Auth]));
        var m = Ok(cache.R("mget", $"keys={p}a,{p}missing,{p}b"));
        Assert.Equal(2, m["found"]!.GetValue<int>());
        Assert.False(m["items"]![1]!["exists"]!.GetValue<bool>());
        Assert.Equal("2", m["items"]![2]!["value"]!.GetValue<string>());
        Assert.InRange(int.Parse(cache.Cli("TTL", p + "a")), 3500, 3600);
        Assert.True(Ok(cache.R("exists", $"key={p}a"))["exists"]!.GetValue<bool>());
        Ok(cache.R("expire", $"key={p}a", "persist=true"));
        Assert.Equal("-1", cache.Cli("TTL", p + "a"));
        Assert.True(Ok(cache.R("ttl", $"key={p}a"))["persistent"]!.GetValue<bool>());
        Ok(cache.R("expire", $"key={p}a", "ttl=10m"));
        Assert.InRange(int.Parse(cache.Cli("TTL", p + "a")), 590, 600);
        Fails(cache.R("expire", $"key={p}missing", "ttl=1m"), "not_found");
        var del = cache.R("delete", $"key={p}a");
        Assert.True(Ok(del)["deleted"]!.GetValue<bool>());
        Assert.True(del.Changed);
        var again = cache.R("delete", $"key={p}a");
        Assert.False(Ok(again)["deleted"]!.GetValue<bool>());
        Assert.False(again.Changed);
    }

    [Fact]
    public void Info_is_parsed_into_typed_fields_and_ping_reports_version_and_latency()
    {
        var info = Ok(cache.R("info"));
        Assert.StartsWith("7.", info["version"]!.GetValue<string>());
        Assert.True(info["uptime_seconds"]!.GetValue<long>() >= 0);
        Assert.True(info["used_memory"]!.GetValue<long>() > 0);
        Assert.Equal("master", info["role"]!.GetValue<string>());
        Assert.Equal(info["version"]!.GetValue<string>(), info["fields"]!["server"]!["redis_version"]!.GetValue<string>());
        Assert.True(info["fields"]!["server"]!["tcp_port"]!.GetValue<long>() == cache.RedisPort);
        var ping = Ok(cache.R("ping"));
        Assert.StartsWith("7.", ping["version"]!.GetValue<string>());
        Assert.True(ping["latency_ms"]!.GetValue<double>() > 0);
    }

    [Fact]
    public void Flush_needs_force_a_dry_run_counts_and_only_the_selected_database_is_emptied()
    {
        var db = $"{cache.Redis}/13";
        cache.Cli("-n", "13", "SET", "a", "1");
        cache.Cli("-n", "13", "SET", "b", "2");
        var keep = P() + "keep";
        cache.Cli("SET", keep, "1");
        Fails(ReshBinary.Run([$"{db}.flush", cache.Auth]), "usage");
        var dry = ReshBinary.Run([$"{db}.flush", cache.Auth, "--dry-run"]);
        Assert.Equal(2, Ok(dry)["keys"]!.GetValue<long>());
        Assert.True(dry.Changed);
        Assert.Equal("2", cache.Cli("-n", "13", "DBSIZE"));
        var run = ReshBinary.Run([$"{db}.flush", "force=true", cache.Auth]);
        Assert.True(Ok(run)["flushed"]!.GetValue<bool>());
        Assert.Equal("0", cache.Cli("-n", "13", "DBSIZE"));
        Assert.Equal("1", cache.Cli("EXISTS", keep));
    }

    [Fact]
    public void Errors_have_their_codes_refused_unauthenticated_wrong_password_wrongtype_and_timeout()
    {
        int closedPort;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); closedPort = ((IPEndPoint)l.LocalEndpoint).Port; l.Stop(); }
        Fails(ReshBinary.Run([$"cache://127.0.0.1:{closedPort}.get", "key=k"]), "unavailable");
        Fails(ReshBinary.Run([$"{cache.Redis}.get", "key=k"]), "permission_denied");
        using var tmp = new TempDir("cachepw");
        var wrong = tmp.File("wrong", "nope\n");
        Fails(ReshBinary.Run([$"{cache.Redis}.get", "key=k", $"password=file:{wrong}"]), "permission_denied");
        var h = P() + "h";
        cache.Cli("HSET", h, "f", "v");
        var wt = cache.R("incr", $"key={h}");
        Fails(wt, "conflict");
        Assert.Equal("WRONGTYPE", wt.Envelope["error"]!["details"]!["redis_error"]!.GetValue<string>());
        Assert.NotNull(wt.Envelope["error"]!["hint"]);
        // A server that accepts and never answers: bounded by timeout=.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var to = ReshBinary.Run([$"cache://127.0.0.1:{port}.get", "key=k", "timeout=1s"], wait: TimeSpan.FromSeconds(30));
        Assert.True(to.ErrorCode is "timeout" or "unavailable", to.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Fails(ReshBinary.Run(["cache://nosuchprofile.get", "key=k"]), "not_found");
    }

    [Fact]
    public void The_password_never_shows_in_the_envelope_argv_or_verbose_output_and_a_literal_warns()
    {
        var k = P() + "pw";
        var run = ReshBinary.Run([$"{cache.Redis}.set", $"key={k}", "value=v", cache.Auth, "--verbose"]);
        Ok(run);
        Assert.DoesNotContain(CacheBackend.Password, run.Stdout + run.Stderr);
        var literal = ReshBinary.Run([$"{cache.Redis}.get", $"key={k}", $"password={CacheBackend.Password}", "--verbose"]);
        Ok(literal);
        Assert.DoesNotContain(CacheBackend.Password, literal.Stdout + literal.Stderr);
        Assert.NotEmpty(literal.Envelope["warnings"]!.AsArray());
        var env = ReshBinary.Run([$"{cache.Redis}.get", $"key={k}", "password=env:CACHE_PW"], env: new Dictionary<string, string> { ["CACHE_PW"] = CacheBackend.Password });
        Ok(env);
        Assert.Empty(env.Envelope["warnings"]!.AsArray());
    }

    [Fact]
    public void Tls_is_verified_against_ca_refused_without_it_and_insecure_warns()
    {
        var tls = $"cache://127.0.0.1:{cache.TlsPort}";
        var k = P() + "tls";
        var ok = ReshBinary.Run([$"{tls}.set", $"key={k}", "value=v", "tls=on", $"ca={cache.Ca}", cache.Auth]);
        Ok(ok);
        Assert.Empty(ok.Envelope["warnings"]!.AsArray());
        Assert.Equal("v", cache.Cli("GET", k));
        Fails(ReshBinary.Run([$"{tls}.get", $"key={k}", "tls=on", cache.Auth, "timeout=3s"]), "unavailable");
        var insecure = ReshBinary.Run([$"{tls}.get", $"key={k}", "tls=insecure", cache.Auth]);
        Assert.Equal("v", Ok(insecure)["value"]!.GetValue<string>());
        Assert.Contains(insecure.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("tls=insecure"));
    }

    [Fact]
    public void Named_connections_and_the_default_table_come_from_the_config_file()
    {
        using var tmp = new TempDir("cachecfg");
        var config = tmp.File("config.toml",
            $"[cache.prod]\nurl = \"redis://127.0.0.1:{cache.RedisPort}/5\"\npassword = \"file:{cache.PasswordFile}\"\n\n" +
            $"[cache.default]\nurl = \"redis://127.0.0.1:{cache.RedisPort}\"\npassword = \"file:{cache.PasswordFile}\"\n\n" +
            $"[cache.mc]\nurl = \"memcached://127.0.0.1:{cache.MemcachedPort}\"\n");
        var env = new Dictionary<string, string> { ["RESH_CONFIG"] = config, ["RESH_HOME"] = tmp["home"] };
        var k = P() + "cfg";
        Ok(ReshBinary.Run(["cache://prod.set", $"key={k}", "value=five"], env: env));
        Assert.Equal("five", cache.Cli("-n", "5", "GET", k));
        Ok(ReshBinary.Run(["cache:///", "set", $"key={k}", "value=zero"], env: env));
        Assert.Equal("zero", cache.Cli("GET", k));
        Ok(ReshBinary.Run(["cache://mc.set", $"key={k}", "value=m"], env: env));
        Assert.Equal("m", Ok(ReshBinary.Run(["cache://mc.get", $"key={k}"], env: env))["value"]!.GetValue<string>());
        var missing = ReshBinary.Run(["cache://nope.get", "key=k"], env: env);
        Fails(missing, "not_found");
        Assert.Contains("prod", missing.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.False(Directory.Exists(tmp["home/cache"]) && File.Exists(tmp["home/cache/default.store"]));
    }

    [Fact]
    public void A_batch_reuses_one_connection_per_server_for_all_its_requests()
    {
        var p = P();
        long Connections() => long.Parse(cache.Cli("INFO", "stats").Split('\n').First(l => l.StartsWith("total_connections_received:"))
            .Split(':')[1].Trim());
        var lines = string.Join('\n', Enumerable.Range(0, 50).Select(i =>
            $"{{\"id\":{i},\"stage\":\"{cache.Redis}\",\"verb\":\"set\",\"args\":{{\"key\":\"{p}{i}\",\"value\":\"v{i}\",\"password\":\"file:{cache.PasswordFile}\"}}}}")) + "\n";
        var before = Connections();
        var run = ReshBinary.Run(["batch"], stdin: lines);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(50, run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("\"ok\":true")));
        var opened = Connections() - before - 1; // less the INFO of redis-cli itself
        Assert.InRange(opened, 1, 2); // StackExchange.Redis: one interactive connection (and at most one for pub/sub)
        Assert.Equal("v49", cache.Cli("GET", p + "49"));
    }
}
