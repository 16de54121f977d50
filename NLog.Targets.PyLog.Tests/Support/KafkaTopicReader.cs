using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>A message read back from the mock cluster.</summary>
    internal sealed class KafkaRecord
    {
        public KafkaRecord(int partition, long offset, string? key, string value, IReadOnlyDictionary<string, string> headers, DateTime timestampUtc)
        {
            Partition = partition;
            Offset = offset;
            Key = key;
            Value = value;
            Headers = headers;
            TimestampUtc = timestampUtc;
        }

        public int Partition { get; }

        public long Offset { get; }

        public string? Key { get; }

        public string Value { get; }

        public IReadOnlyDictionary<string, string> Headers { get; }

        public DateTime TimestampUtc { get; }
    }

    /// <summary>Reads a topic from its beginning with a Confluent.Kafka consumer (partition assignment, no group).</summary>
    internal static class KafkaTopicReader
    {
        /// <summary>
        /// Reads every partition until <paramref name="expected"/> messages arrived or
        /// <paramref name="timeout"/> passed; then keeps reading briefly to catch duplicates or extras.
        /// </summary>
        public static List<KafkaRecord> Read(string bootstrapServers, string topic, int partitions, int expected, TimeSpan timeout)
        {
            var config = new ConsumerConfig
            {
                BootstrapServers = bootstrapServers,
                GroupId = "reader-" + Guid.NewGuid().ToString("N"),
                EnableAutoCommit = false,
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnablePartitionEof = false,
                LogConnectionClose = false,
            };
            var records = new List<KafkaRecord>();
            using var consumer = new ConsumerBuilder<byte[]?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
            var assignment = new List<TopicPartitionOffset>();
            for (int p = 0; p < partitions; p++)
                assignment.Add(new TopicPartitionOffset(topic, p, Offset.Beginning));
            consumer.Assign(assignment);

            var clock = Stopwatch.StartNew();
            TimeSpan? settleUntil = null;
            while (clock.Elapsed < timeout && (settleUntil == null || clock.Elapsed < settleUntil))
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result == null)
                    continue;
                var headers = new Dictionary<string, string>();
                if (result.Message.Headers != null)
                {
                    foreach (var header in result.Message.Headers)
                        headers[header.Key] = Encoding.UTF8.GetString(header.GetValueBytes());
                }
                records.Add(new KafkaRecord(
                    result.Partition.Value,
                    result.Offset.Value,
                    result.Message.Key == null ? null : Encoding.UTF8.GetString(result.Message.Key),
                    Encoding.UTF8.GetString(result.Message.Value),
                    headers,
                    result.Message.Timestamp.UtcDateTime));
                if (records.Count >= expected && settleUntil == null)
                    settleUntil = clock.Elapsed + TimeSpan.FromMilliseconds(300);
            }
            consumer.Close();
            return records;
        }
    }
}
