using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
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

    /// <summary>
    /// Reads a topic with <c>kcat</c> (Debian's package, a client independent of the one under test):
    /// every partition from its beginning to its current end, one record per line.
    /// </summary>
    internal static class KcatReader
    {
        private const string Kcat = "/usr/bin/kcat";

        /// <summary>
        /// Reads the topic again and again until it holds at least <paramref name="expected"/> records or
        /// <paramref name="timeout"/> passed, then once more (to see anything that arrived late); returns that last read.
        /// </summary>
        public static List<KafkaRecord> Read(string bootstrapServers, string topic, int expected, TimeSpan timeout)
        {
            if (!File.Exists(Kcat))
                throw new InvalidOperationException("Prerequisite missing: " + Kcat + " (Debian package kcat; build.cake installs it).");
            var clock = Stopwatch.StartNew();
            var records = ReadOnce(bootstrapServers, topic);
            while (records.Count < expected && clock.Elapsed < timeout)
            {
                System.Threading.Thread.Sleep(200);
                records = ReadOnce(bootstrapServers, topic);
            }
            System.Threading.Thread.Sleep(300);
            return ReadOnce(bootstrapServers, topic);
        }

        /// <summary>One read of a single partition to its current end (it must have a reachable leader).</summary>
        public static List<KafkaRecord> ReadPartition(string bootstrapServers, string topic, int partition) => ReadOnce(bootstrapServers, topic, partition);

        private static List<KafkaRecord> ReadOnce(string bootstrapServers, string topic, int? partition = null)
        {
            var start = new ProcessStartInfo(Kcat)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
            };
            foreach (var argument in new[] { "-C", "-b", bootstrapServers, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p\t%o\t%k\t%s\n" })
                start.ArgumentList.Add(argument);
            if (partition is int only)
            {
                start.ArgumentList.Add("-p");
                start.ArgumentList.Add(only.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + Kcat);
            var stderr = process.StandardError.ReadToEndAsync();
            var records = new List<KafkaRecord>();
            string? line;
            while ((line = process.StandardOutput.ReadLine()) != null)
            {
                var fields = line.Split('\t', 4);
                if (fields.Length < 4)
                    continue;
                records.Add(new KafkaRecord(int.Parse(fields[0]), long.Parse(fields[1]), fields[2].Length == 0 ? null : fields[2], fields[3],
                    new Dictionary<string, string>(), default));
            }
            if (!process.WaitForExit(60000))
            {
                process.Kill();
                throw new InvalidOperationException("kcat did not finish reading " + topic + " within 60 s");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException("kcat exited with " + process.ExitCode + ": " + stderr.Result);
            return records;
        }
    }
}
