using System;
using System.Collections.Generic;
using Confluent.Kafka;
using NLog.Config;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Kafka;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// Sends log events to Kafka through Confluent.Kafka (librdkafka): one record per event, with
    /// a key for partitioning, headers, and the rendered layout as value.
    /// </summary>
    /// <remarks>
    /// <para>Pipelined: a batch is produced in one go with a shared delivery handler, never one
    /// await per message, and completes when librdkafka has reported on every message of it; up to
    /// <see cref="PyLogNetworkTarget.MaxBatchesInFlight"/> batches (default 1000 for Kafka)
    /// wait for their reports at once while later ones are produced. An event counts as delivered only when
    /// the broker acknowledged it (<c>acks=all</c>).</para>
    /// <para>In flight at most librdkafka's queue: <c>queue.buffering.max.messages</c> (default
    /// here 100000) and <c>queue.buffering.max.kbytes</c> (default here 65536, 64 MiB). While all
    /// brokers are down that queue holds the events (<c>message.timeout.ms=0</c> here: nothing
    /// expires); once it is full the writer waits and new events wait in NLog's queue
    /// (<see cref="AsyncTaskTarget.QueueLimit"/>), beyond which they are counted as
    /// <c>queue_full</c>. Reconnection after an outage is prompt (<c>reconnect.backoff.max.ms=1000</c>).</para>
    /// <para>Idempotent produce (<c>enable.idempotence=true</c>, <c>acks=all</c>) is the default:
    /// librdkafka's retries neither duplicate nor reorder a partition. A producer that enters
    /// librdkafka's fatal state is replaced and what it failed is produced again.</para>
    /// <para>Permanent errors (message too large, unknown topic, authorization, invalid record)
    /// drop the message as <c>rejected</c>; transient ones send it again with the target's backoff.
    /// Closing never waits past <see cref="PyLogNetworkTarget.CloseTimeoutMilliseconds"/>; what is
    /// still undelivered then is counted as <c>shutdown</c>.</para>
    /// </remarks>
    [Target("Kafka")]
    public sealed class KafkaTarget : PyLogNetworkTarget
    {
        /// <summary>The default <see cref="PyLogNetworkTarget.MaxBatchesInFlight"/> of a Kafka target.</summary>
        internal const int DefaultMaxBatchesInFlight = 1000;

        /// <summary>Creates the target with its defaults.</summary>
        public KafkaTarget()
        {
            BatchSize = 2000;
            // Pipelined: batches are produced while earlier ones wait for their delivery reports;
            // what they hold together is bounded by librdkafka's queue (KafkaInFlight), not by this.
            MaxBatchesInFlight = DefaultMaxBatchesInFlight;
            Layout = KafkaDefaultLayout.Create();
        }

        /// <summary>Creates the target with a name.</summary>
        public KafkaTarget(string name)
            : this()
        {
            Name = name;
        }

        /// <summary>The Kafka brokers to bootstrap from: <c>host:port[,host:port...]</c>. Rendered once at initialization.</summary>
        /// <remarks>Default: none (required).</remarks>
        public Layout? BootstrapServers { get; set; }

        /// <summary>The topic of each record, rendered per event.</summary>
        /// <remarks>Default: none (required).</remarks>
        public Layout? Topic { get; set; }

        /// <summary>
        /// The record key, rendered per event as UTF-8; records with the same key land in the same
        /// partition (e.g. <c>${logger}</c> or <c>${scopeproperty:TraceId}</c>). An empty rendering
        /// sends no key (librdkafka spreads such records over the partitions).
        /// </summary>
        /// <remarks>Default: none (no key).</remarks>
        public Layout? Key { get; set; }

        /// <summary>Record headers, <c>&lt;header name="..." layout="..." /&gt;</c>, rendered per event as UTF-8.</summary>
        /// <remarks>Default: none.</remarks>
        [ArrayParameter(typeof(KafkaHeader), "header")]
        public IList<KafkaHeader> Headers { get; } = new List<KafkaHeader>();

        /// <summary>
        /// librdkafka producer properties passed through as they are, <c>&lt;producerConfig name="..." value="..." /&gt;</c>:
        /// <c>acks</c>, <c>compression.type</c>, <c>linger.ms</c>, <c>security.protocol</c>, <c>sasl.*</c>, <c>ssl.*</c>, ...
        /// </summary>
        /// <remarks>Default: none; unless given here the target sets <c>enable.idempotence=true</c>, <c>acks=all</c>,
        /// <c>message.timeout.ms=0</c> (<c>5000</c> when <c>RetryCount</c> is 0 or more), <c>queue.buffering.max.messages=100000</c>, <c>queue.buffering.max.kbytes=65536</c>,
        /// <c>reconnect.backoff.ms=100</c>, <c>reconnect.backoff.max.ms=1000</c>, <c>linger.ms=5</c>, <c>client.id=NLog.Targets.PyLog</c>
        /// (<c>acks</c> 0 or 1 given here turn the idempotence default off).</remarks>
        [ArrayParameter(typeof(KafkaProducerProperty), "producerConfig")]
        public IList<KafkaProducerProperty> ProducerConfig { get; } = new List<KafkaProducerProperty>();

        /// <summary>The transport of the current initialization (tests reach the producer through it).</summary>
        internal KafkaTransport? Transport { get; private set; }

        /// <inheritdoc/>
        private protected override NetworkTransport CreateTransport()
        {
            string bootstrapServers = BootstrapServers?.Render(LogEventInfo.CreateNullEvent())?.Trim() ?? string.Empty;
            if (bootstrapServers.Length == 0)
                throw ConfigurationErrors.Invalid(this, nameof(BootstrapServers), bootstrapServers, "is required (host:port[,host:port...])");
            var topic = Topic;
            if (topic is null || (topic is SimpleLayout simple && simple.IsFixedText && string.IsNullOrWhiteSpace(simple.FixedText)))
                throw ConfigurationErrors.Invalid(this, nameof(Topic), string.Empty, "is required");
            if (Layout is null)
                throw ConfigurationErrors.Invalid(this, nameof(Layout), string.Empty, "is required");

            var settings = new KafkaClientSettings();
            foreach (var property in ProducerConfig)
            {
                if (string.IsNullOrWhiteSpace(property?.Name))
                    throw ConfigurationErrors.Invalid(this, nameof(ProducerConfig), string.Empty, "items need a name");
                settings.Set(property.Name.Trim(), property.Resolve(settings.Secrets, this));
            }
            if (RetryCount >= 0 && !settings.IsSet("message.timeout.ms"))
                settings.Properties["message.timeout.ms"] = KafkaClientSettings.BoundedRetryMessageTimeoutMs;
            settings.Set("bootstrap.servers", bootstrapServers);
            settings.ApplyRequired();
            var headers = new KafkaHeader[Headers.Count];
            for (int i = 0; i < Headers.Count; i++)
            {
                if (string.IsNullOrEmpty(Headers[i]?.Name))
                    throw ConfigurationErrors.Invalid(this, $"Headers[{i}]", string.Empty, "has no Name");
                headers[i] = Headers[i];
            }

            try
            {
                KafkaNativeLibrary.EnsureLoaded();
            }
            catch (DllNotFoundException ex)
            {
                throw new NLogConfigurationException($"{ConfigurationErrors.TypeName(this)} '{Name}': {ex.Message}", ex);
            }

            try
            {
                // TargetWithContext wraps Layout; the wrapped one may render straight to UTF-8.
                Transport = new KafkaTransport(this, settings, topic, Key, Utf8LayoutRenderer.Unwrap(Layout), headers);
                return Transport;
            }
            catch (Exception ex) when (ex is ArgumentException || ex is KafkaException || ex is InvalidOperationException)
            {
                // No inner exception: librdkafka's text may quote a configured value.
                throw new NLogConfigurationException($"{ConfigurationErrors.TypeName(this)} '{Name}': ProducerConfig rejected by librdkafka: {settings.Redact(ex.Message)}");
            }
        }
    }
}
