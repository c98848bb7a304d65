namespace Resh.Handles.Cache.Mq;

/// <summary>
/// The Lua scripts behind ack, nack and dead-lettering: each checks that the receipt's consumer still holds the entry with
/// the same delivery count (else the receipt is stale: its lease ended and another consume took it over) and acts in the
/// same atomic step. A consumer left holding nothing is removed, so the group lists only consumers with leases.
/// Replies: <c>{0}</c> already done (not pending), <c>{1, deliveries}</c> done now, <c>{2, holder, deliveries}</c> stale.
/// </summary>
internal static class RedisMqScripts
{
    // KEYS[1] stream; ARGV: group, id, consumer ('' = whoever holds it), deliveries ('' = any).
    const string Check = """
        local ok, p = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
        if not ok or #p == 0 then return {0} end
        local holder, count = p[1][2], p[1][4]
        if ARGV[3] ~= '' and (holder ~= ARGV[3] or tostring(count) ~= ARGV[4]) then return {2, holder, count} end
        """;

    const string DropIfEmpty = """
        if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, holder) == 0 then
          redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], holder)
        end
        """;

    /// <summary>XACK and XDEL (an acked entry leaves the stream).</summary>
    public const string Ack = Check + "\n" + """
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        """ + "\n" + DropIfEmpty + "\nreturn {1, count}";

    /// <summary>Parks the entry under the requeue consumer (JUSTID: its delivery count stays), for the next consume to take over.</summary>
    public const string Requeue = Check + "\n" + """
        redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[5], 0, ARGV[2], 'JUSTID')
        """ + "\n" + DropIfEmpty + "\nreturn {1, count}";

    /// <summary>
    /// Copies the entry to the dead-letter stream KEYS[2] (its group made when missing) with where it came from and why,
    /// then acks and deletes it. ARGV[5] reason, ARGV[6] the queue's name, ARGV[7] the sequence number.
    /// </summary>
    public const string DeadLetter = Check + "\n" + """
        local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
        if #e > 0 then
          local f = e[1][2]
          local out = {}
          for i = 1, #f, 2 do
            if string.sub(f[i], 1, 2) ~= 'o:' then out[#out + 1] = f[i]; out[#out + 1] = f[i + 1] end
          end
          out[#out + 1] = 'o:queue'; out[#out + 1] = ARGV[6]
          out[#out + 1] = 'o:seq'; out[#out + 1] = ARGV[7]
          out[#out + 1] = 'o:deliveries'; out[#out + 1] = tostring(count)
          out[#out + 1] = 'o:reason'; out[#out + 1] = ARGV[5]
          pcall(redis.call, 'XGROUP', 'CREATE', KEYS[2], ARGV[1], '0', 'MKSTREAM')
          redis.call('XADD', KEYS[2], '0-*', unpack(out))
        end
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        """ + "\n" + DropIfEmpty + "\nreturn {1, count}";

    /// <summary>ack=auto after a read: XACK and XDEL of the entries read. ARGV: group, then the ids.</summary>
    public const string Done = """
        local ids = {unpack(ARGV, 2)}
        redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
        redis.call('XDEL', KEYS[1], unpack(ids))
        return #ids
        """;

    /// <summary>Drops a consumer holding nothing (after an auto-ack consume, or once its entries were taken over). ARGV: group, consumer.</summary>
    public const string DropConsumer = """
        local ok, p = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
        if ok and #p == 0 then redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) end
        return 0
        """;

    /// <summary>Purge: empties the stream and makes the group afresh (no pending entries, no consumers). Returns how many entries were dropped.</summary>
    public const string Purge = """
        local n = redis.call('XLEN', KEYS[1])
        redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
        pcall(redis.call, 'XGROUP', 'DESTROY', KEYS[1], ARGV[1])
        redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '$')
        return n
        """;
}
