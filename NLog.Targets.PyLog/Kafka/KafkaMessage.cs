using Confluent.Kafka;

namespace NLog.Targets.PyLog.Kafka
{
    /// <summary>One rendered event of a <see cref="KafkaTarget"/>: what is produced to Kafka, kept as is across retries.</summary>
    /// <remarks>
    /// The message itself is the producer's value type: Confluent.Kafka hands the value object back
    /// in the delivery report, so the report finds its batch and index here and one static
    /// delivery handler serves every message (no closure per message).
    /// </remarks>
    internal sealed class KafkaMessage
    {
        internal KafkaMessage(string topic, byte[]? key, byte[] value, Headers? headers, Timestamp timestamp)
        {
            Topic = topic;
            Key = key;
            Value = value;
            Headers = headers;
            Timestamp = timestamp;
        }

        internal string Topic { get; }

        internal byte[]? Key { get; }

        internal byte[] Value { get; }

        internal Headers? Headers { get; }

        internal Timestamp Timestamp { get; }

        /// <summary>Key and value bytes, counted against the in-flight bound.</summary>
        internal int Size => Value.Length + (Key?.Length ?? 0);

        /// <summary>The attempt waiting for this message's delivery report; set before each produce.</summary>
        internal KafkaDeliveryTracker? Tracker { get; set; }

        /// <summary>The message's index in its batch; set before each produce.</summary>
        internal int Index { get; set; }
    }

    /// <summary>Hands librdkafka the message's pre-rendered bytes (no copy).</summary>
    internal sealed class KafkaMessageSerializer : ISerializer<KafkaMessage>
    {
        public static readonly KafkaMessageSerializer Instance = new KafkaMessageSerializer();

        public byte[] Serialize(KafkaMessage data, SerializationContext context) => data.Value;
    }
}
