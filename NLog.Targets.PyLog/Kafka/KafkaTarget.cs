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
    /// <para>A batch is produced in one go with a shared delivery handler, never one await per
    /// message; it completes when librdkafka has reported on every message of it. Delivered
    /// messages count as sent, permanent errors (message too large, unknown topic, authorization)
    /// drop the message as <c>rejected</c>, and transient ones (timeouts, no leader, transport)
    /// send the rest of the batch again with backoff. A full librdkafka queue waits for room.</para>
    /// <para>librdkafka's <c>message.timeout.ms</c> defaults to 30 s here (not 300 s): a message that
    /// cannot be delivered within it goes back to the target's retry loop, and closing the target
    /// never waits longer than <see cref="PyLogNetworkTarget.CloseTimeoutMilliseconds"/>.</para>
    /// <para>Delivery is at least once: a message that timed out in flight may have been written,
    /// and is produced again. Set <c>enable.idempotence=true</c> through <see cref="ProducerConfig"/>
    /// to let the broker drop such duplicates within one producer session.</para>
    /// <para><see cref="AsyncTaskTarget.BatchSize"/> defaults to 2000 here: each batch is one
    /// produce-and-wait-for-reports round, so larger batches amortize the broker round trip.
    /// Because a batch is complete when it is produced, the target asks librdkafka to send it at
    /// once (a 1 ms flush) instead of waiting <c>linger.ms</c> again.</para>
    /// </remarks>
    [Target("Kafka")]
    public sealed class KafkaTarget : PyLogNetworkTarget
    {
        /// <summary>Creates the target with its defaults.</summary>
        public KafkaTarget()
        {
            // Each batch is one produce-and-await round; a larger one amortizes the broker round trip.
            BatchSize = 2000;
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
        /// <remarks>Default: none; the target sets <c>message.timeout.ms=30000</c>, <c>linger.ms=5</c>, <c>client.id=NLog.Targets.PyLog</c> unless given here.</remarks>
        [ArrayParameter(typeof(KafkaProducerProperty), "producerConfig")]
        public IList<KafkaProducerProperty> ProducerConfig { get; } = new List<KafkaProducerProperty>();

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
                settings.Set(property.Name.Trim(), property.Value?.Render(LogEventInfo.CreateNullEvent()) ?? string.Empty);
            }
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
                return new KafkaTransport(this, settings, topic, Key, Utf8LayoutRenderer.Unwrap(Layout), headers);
            }
            catch (Exception ex) when (ex is ArgumentException || ex is KafkaException || ex is InvalidOperationException)
            {
                // No inner exception: librdkafka's text may quote a configured value.
                throw new NLogConfigurationException($"{ConfigurationErrors.TypeName(this)} '{Name}': ProducerConfig rejected by librdkafka: {settings.Redact(ex.Message)}");
            }
        }
    }
}
