using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>
    /// librdkafka's built-in mock cluster: real Kafka protocol on loopback, with fault injection.
    /// Any Kafka client (Confluent.Kafka, kcat) talks to it through <see cref="BootstrapServers"/>.
    /// </summary>
    /// <remarks>
    /// P/Invokes the very librdkafka that Confluent.Kafka loaded (from <c>librdkafka.redist</c> in the
    /// output folder, the variant Confluent's loader picked), found in <c>/proc/self/maps</c>, so the
    /// mock speaks exactly the client's protocol version and no OS package is needed. Its
    /// CreateTopics admin call never answers, so topics are created through <see cref="CreateTopic"/>.
    /// </remarks>
    internal sealed class KafkaMockCluster : IDisposable
    {
        private const string Lib = "librdkafka";

        static KafkaMockCluster()
        {
            NativeLibrary.SetDllImportResolver(typeof(KafkaMockCluster).Assembly, static (name, assembly, searchPath) =>
                name == Lib ? NativeLibrary.Load(LoadedLibraryPath()) : IntPtr.Zero);
        }

        /// <summary>The file of the librdkafka that Confluent.Kafka loaded into this process.</summary>
        public static string LoadedLibraryPath()
        {
            // Makes Confluent.Kafka load its native library now, through its own loader.
            _ = Confluent.Kafka.Library.VersionString;
            var path = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]).Contains("librdkafka", StringComparison.Ordinal))
                .Select(fields => fields[5])
                .FirstOrDefault();
            return path ?? throw new InvalidOperationException(
                "Prerequisite missing: Confluent.Kafka reports librdkafka loaded, but no librdkafka file is mapped in /proc/self/maps.");
        }

        /// <summary>Kafka protocol ApiKey of ProduceRequest.</summary>
        public const short ProduceApiKey = 0;

        // Broker error codes (Kafka protocol).
        public const int ErrUnknownTopicOrPartition = 3;
        public const int ErrRequestTimedOut = 7;
        public const int ErrNotLeaderForPartition = 6;
        public const int ErrMessageTooLarge = 10;
        public const int ErrNotEnoughReplicas = 19;
        public const int ErrTopicAuthorizationFailed = 29;
        public const int ErrInvalidRecord = 87;

        private IntPtr _rk;
        private IntPtr _cluster;

        private KafkaMockCluster(IntPtr rk, IntPtr cluster, string bootstrapServers)
        {
            _rk = rk;
            _cluster = cluster;
            BootstrapServers = bootstrapServers;
        }

        /// <summary>The <c>host:port,...</c> list of the mock brokers.</summary>
        public string BootstrapServers { get; }

        public int BrokerCount { get; private set; }

        /// <summary>Starts a cluster of <paramref name="brokers"/> brokers on loopback.</summary>
        public static KafkaMockCluster Start(int brokers = 3)
        {
            IntPtr rk;
            IntPtr cluster;
            try
            {
                var conf = rd_kafka_conf_new();
                var error = new StringBuilder(512);
                // A quiet handle: the mock cluster only needs it for book keeping.
                rd_kafka_conf_set(conf, "log_level", "3", error, (UIntPtr)error.Capacity);
                rk = rd_kafka_new(0 /* RD_KAFKA_PRODUCER */, conf, error, (UIntPtr)error.Capacity);
                if (rk == IntPtr.Zero)
                    throw new InvalidOperationException("rd_kafka_new failed: " + error);
                cluster = rd_kafka_mock_cluster_new(rk, brokers);
                if (cluster == IntPtr.Zero)
                {
                    rd_kafka_destroy(rk);
                    throw new InvalidOperationException("rd_kafka_mock_cluster_new returned NULL");
                }
            }
            catch (DllNotFoundException ex)
            {
                throw new InvalidOperationException(
                    "Prerequisite missing: the Kafka tests need librdkafka's mock cluster from the librdkafka.redist package in the output folder.", ex);
            }

            var bootstraps = Marshal.PtrToStringAnsi(rd_kafka_mock_cluster_bootstraps(cluster))!;
            return new KafkaMockCluster(rk, cluster, bootstraps) { BrokerCount = brokers };
        }

        public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
        {
            int err = rd_kafka_mock_topic_create(_cluster, topic, partitions, replicationFactor);
            if (err != 0)
                throw new InvalidOperationException("rd_kafka_mock_topic_create(" + topic + ") failed with error " + err);
        }

        /// <summary>Disconnects every broker and refuses new connections.</summary>
        public void AllBrokersDown()
        {
            for (int id = 1; id <= BrokerCount; id++)
                Check(rd_kafka_mock_broker_set_down(_cluster, id), "rd_kafka_mock_broker_set_down");
        }

        public void AllBrokersUp()
        {
            for (int id = 1; id <= BrokerCount; id++)
                Check(rd_kafka_mock_broker_set_up(_cluster, id), "rd_kafka_mock_broker_set_up");
        }

        /// <summary>Disconnects one broker (ids are 1..<see cref="BrokerCount"/>) and refuses its new connections.</summary>
        public void BrokerDown(int brokerId) => Check(rd_kafka_mock_broker_set_down(_cluster, brokerId), "rd_kafka_mock_broker_set_down");

        public void BrokerUp(int brokerId) => Check(rd_kafka_mock_broker_set_up(_cluster, brokerId), "rd_kafka_mock_broker_set_up");

        /// <summary>
        /// Moves the leadership of a partition to <paramref name="brokerId"/>; clients learn it from a
        /// NOT_LEADER_OR_FOLLOWER answer of the old leader and a metadata refresh.
        /// </summary>
        public void SetPartitionLeader(string topic, int partition, int brokerId)
            => Check(rd_kafka_mock_partition_set_leader(_cluster, topic, partition, brokerId), "rd_kafka_mock_partition_set_leader");

        /// <summary>Drops every error pushed with <see cref="PushRequestErrors"/> and not consumed yet.</summary>
        public void ClearRequestErrors(short apiKey) => rd_kafka_mock_clear_request_errors(_cluster, apiKey);

        /// <summary>The next <paramref name="errors"/>.Length requests of <paramref name="apiKey"/> fail with these codes, in order.</summary>
        public void PushRequestErrors(short apiKey, params int[] errors)
        {
            rd_kafka_mock_push_request_errors_array(_cluster, apiKey, (UIntPtr)errors.Length, errors);
        }

        public void SetTopicError(string topic, int error)
        {
            rd_kafka_mock_topic_set_error(_cluster, topic, error);
        }

        /// <summary>
        /// Puts a client into librdkafka's fatal state, as a real fatal error of an idempotent producer
        /// would (<c>rd_kafka_test_fatal_error</c>); the client refuses every message from then on.
        /// </summary>
        public static void RaiseFatalError(Confluent.Kafka.IClient client, int error)
        {
            // Confluent.Kafka keeps the rd_kafka_t* in Handle.LibrdkafkaHandle (internal).
            var property = typeof(Confluent.Kafka.Handle).GetProperty("LibrdkafkaHandle", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
                ?? throw new InvalidOperationException("Confluent.Kafka.Handle.LibrdkafkaHandle not found (Confluent.Kafka changed its internals)");
            var handle = (SafeHandle)property.GetValue(client.Handle)!;
            Check(rd_kafka_test_fatal_error(handle.DangerousGetHandle(), error, "raised by the test"), "rd_kafka_test_fatal_error");
        }

        public void Dispose()
        {
            if (_cluster != IntPtr.Zero)
            {
                rd_kafka_mock_cluster_destroy(_cluster);
                _cluster = IntPtr.Zero;
            }
            if (_rk != IntPtr.Zero)
            {
                rd_kafka_destroy(_rk);
                _rk = IntPtr.Zero;
            }
        }

        private static void Check(int err, string call)
        {
            if (err != 0)
                throw new InvalidOperationException(call + " failed with error " + err);
        }

        [DllImport(Lib)]
        private static extern IntPtr rd_kafka_conf_new();

        [DllImport(Lib)]
        private static extern int rd_kafka_conf_set(IntPtr conf, string name, string value, StringBuilder errstr, UIntPtr errstrSize);

        [DllImport(Lib)]
        private static extern IntPtr rd_kafka_new(int type, IntPtr conf, StringBuilder errstr, UIntPtr errstrSize);

        [DllImport(Lib)]
        private static extern void rd_kafka_destroy(IntPtr rk);

        [DllImport(Lib)]
        private static extern IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

        [DllImport(Lib)]
        private static extern void rd_kafka_mock_cluster_destroy(IntPtr cluster);

        [DllImport(Lib)]
        private static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

        [DllImport(Lib)]
        private static extern int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitionCount, int replicationFactor);

        [DllImport(Lib)]
        private static extern void rd_kafka_mock_topic_set_error(IntPtr cluster, string topic, int err);

        [DllImport(Lib)]
        private static extern int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

        [DllImport(Lib)]
        private static extern int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);

        [DllImport(Lib)]
        private static extern int rd_kafka_test_fatal_error(IntPtr rk, int err, string reason);

        [DllImport(Lib)]
        private static extern int rd_kafka_mock_partition_set_leader(IntPtr cluster, string topic, int partition, int brokerId);

        [DllImport(Lib)]
        private static extern void rd_kafka_mock_clear_request_errors(IntPtr cluster, short apiKey);

        [DllImport(Lib)]
        private static extern void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, UIntPtr count, int[] errors);
    }
}
