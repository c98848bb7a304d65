using Resh.Core.Model;

namespace Resh.Handles.Mq;

/// <summary>mq:// — durable message queues between jobs: publish, consume with acks, leases and dead-lettering.</summary>
public static class MqHandle
{
    public static HandleInfo Create() => new("mq",
        "Message queues between jobs: publish, consume (auto or manual ack with a visibility timeout), ack, nack, dead-letter queues, peek, subscribe.",
        "The queue: mq:///jobs (or mq://jobs): letters, digits, `.`, `_`, `-`; empty for mq://.queues (mq://PROFILE.queues for a server). mq://HOST:PORT/QUEUE is a NATS JetStream server named inline, mq://PROFILE/QUEUE a [mq.PROFILE] table (url = \"nats://HOST:4222\", user, password, tls, ca; a password goes only over TLS unless tls = \"off\"); mq:///QUEUE is [mq.default] when configured, else embedded.",
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
            + "RabbitMQ, Redis Streams and MQTT backends are not built yet.",
    };
}
