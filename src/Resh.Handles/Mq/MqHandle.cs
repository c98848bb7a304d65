using Resh.Core.Model;

namespace Resh.Handles.Mq;

/// <summary>mq:// — durable message queues between jobs: publish, consume with acks, leases and dead-lettering.</summary>
public static class MqHandle
{
    public static HandleInfo Create() => new("mq",
        "Message queues between jobs (embedded, NATS JetStream, Redis Streams or MQTT): publish, consume (auto or manual ack with a visibility timeout), ack, nack, dead-letter queues, peek, subscribe.",
        "The queue: mq:///jobs (or mq://jobs): letters, digits, `.`, `_`, `-`; empty for mq://.queues (mq://PROFILE.queues for a server). mq://HOST:PORT/QUEUE is a NATS JetStream server named inline, mq://PROFILE/QUEUE a [mq.PROFILE] table (url = \"nats://HOST:4222\" or \"redis://HOST:6379\", user, password, tls, ca; a NATS password goes only over TLS unless tls = \"off\"); backend=redis makes an inline server Redis Streams; mq:///QUEUE is [mq.default] when configured, else embedded.",
        [
            MqPublish.Verb,
            MqConsume.Verb,
            MqAck.Verb,
            MqNack.Verb,
            MqPeek.Verb,
            MqSubscribe.Verb,
            MqRequest.Verb,
            MqQueues.Verb,
            MqCreate.Verb,
            MqDelete.Verb,
            MqPurge.Verb,
            MqStats.Verb,
        ])
    {
        Notes = "Embedded backend: one directory per queue in the state dir (mq/QUEUE/, 0700, refused when another user owns it): append-only segment files "
            + "with a checksum per message, fsynced before publish answers, and the consumers' state (cursor and leases) replaced atomically. "
            + "Every operation holds the queue's lock (flock), so any number of processes may publish and consume at once. Delivery is at least once: "
            + "a message leased with ack=manual and not acked within `visibility` is delivered again, with its redelivery count; after max_deliveries "
            + "it goes to the dead-letter queue NAME.dlq. Segments whose messages are all done are deleted. A torn write at the end of the log (a "
            + "publisher killed mid-write, a crash) is cut off when the queue is next opened. "
            + "NATS JetStream backend: queue Q is stream Q (dots become `_`) on subject Q with work-queue retention and file storage, consumed through the "
            + "durable pull consumer `resh` (explicit acks; ack_wait is the visibility timeout, set by create). Receipts are the JetStream ack subjects, "
            + "so they name their stream and work from any process; nack dead_letter=true copies the message to Q.dlq and terminates it. "
            + "Redis Streams backend (Redis 7 or later; backend=redis, or a [mq.NAME] table with url = \"redis://HOST:6379[/DB]\" or \"rediss://...\" for TLS, "
            + "user, password secret-typed, ca, timeout): queue Q is the stream resh:mq:Q with the consumer group `resh`; max_deliveries is kept in the hash "
            + "resh:mq:Q:meta. publish is XADD with the id 0-* (seq is the id's second part; no MAXLEN: a queue never drops an unconsumed message), the body, "
            + "key and headers as fields; durable means Redis answered (on disk as the server's appendfsync says). consume first takes over pending entries "
            + "whose lease ended (XPENDING, then XCLAIM with the lease as the minimum idle time, so only one consumer gets each), then reads new ones "
            + "(XREADGROUP; wait= blocks in slices of at most 1 s); each consume reads as a consumer of its own named after its visibility, which leaves the "
            + "group once it holds nothing. ack=auto acks and deletes the entries once the reply is read (a reply lost on the way leaves them pending, taken over after 30 s); ack deletes too (XACK + XDEL), so the stream holds only "
            + "what is not done. Receipts are QUEUE/SEQ/DELIVERIES/CONSUMER: an ack, nack or dead-letter checks in one script that the consumer still holds "
            + "the entry with that count (else `conflict`: stale). nack parks the entry for the next consume (its delivery count grows by one); "
            + "dead_letter=true and max_deliveries copy it to Q.dlq with its origin, then ack and delete it. peek reads past the group's last-delivered id; "
            + "queues scans resh:mq:* for streams; purge (force) empties the stream and makes the group afresh. request is `unsupported`: Streams have no responders. "
            + "MQTT 5 backend (backend=mqtt, url = \"mqtt://HOST:1883\" or \"mqtts://HOST:8883\"; user, password, ca, tls, timeout, consumer): queue Q is the "
            + "topic Q as named (no `/`, `+`, `#` or NUL can be named); publish is QoS 1, answered after the broker's PUBACK (QoS 0 with persistent=false); "
            + "headers and key are MQTT 5 user properties. The queue's consumer is the persistent session resh:CONSUMER:Q (clean start false, never expiring, "
            + "CONSUMER from the profile, default `default`) subscribed with QoS 1; the broker keeps messages for it from its first create, consume or subscribe "
            + "on, not before. resh sends the PUBACK only once a message is done, so a message whose consumer dies (or, with ack=manual, is not acked) is "
            + "delivered again by the session's next connection: at least once, with redeliveries 1 when the broker set DUP. ack and nack reconnect the "
            + "session and find the redelivered message their receipt (PACKETID.HASH) names. MQTT has no depth, peek, purge, stats, dead-letter queue or "
            + "queue list: those answer `unsupported`. request publishes with an MQTT 5 response topic (resh/reply/TOKEN) and correlation data. "
            + "The RabbitMQ backend is not built yet.",
    };
}
