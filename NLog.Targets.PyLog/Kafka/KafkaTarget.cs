using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Confluent.Kafka;
using NLog.Common;
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
    public sealed class KafkaTarget : PyLogNetworkTarget<KafkaMessage>
    {
        private static readonly Action<DeliveryReport<byte[]?, KafkaMessage>> s_onDelivery = OnDelivery;

        private readonly ArrayBufferWriter<byte> _scratch = new ArrayBufferWriter<byte>(1024);
        private readonly Message<byte[]?, KafkaMessage> _produceMessage = new Message<byte[]?, KafkaMessage>();
        private readonly object _clientLogLock = new object();
        private long _lastClientLogTimestamp;
        private int _suppressedClientLogs;
        private static readonly TimeSpan NudgeFlushTimeout = TimeSpan.FromMilliseconds(1);

        private KafkaClientSettings? _settings;
        private Layout? _valueLayout;
        private bool _sendWithoutLinger;
        private KafkaProducerHost? _producer;

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

        /// <summary>The producer's owner (tests raise librdkafka errors on its producer).</summary>
        internal KafkaProducerHost? ProducerHost => _producer;

        /// <inheritdoc/>
        protected override void InitializeTarget()
        {
            base.InitializeTarget();

            string bootstrapServers = BootstrapServers?.Render(LogEventInfo.CreateNullEvent())?.Trim() ?? string.Empty;
            if (bootstrapServers.Length == 0)
                throw new NLogConfigurationException($"Kafka target '{Name}': BootstrapServers is required (host:port[,host:port...]).");
            if (Topic is null || (Topic is SimpleLayout simple && simple.IsFixedText && string.IsNullOrWhiteSpace(simple.FixedText)))
                throw new NLogConfigurationException($"Kafka target '{Name}': Topic is required.");
            if (Layout is null)
                throw new NLogConfigurationException($"Kafka target '{Name}': Layout is required.");

            var settings = new KafkaClientSettings();
            foreach (var property in ProducerConfig)
            {
                if (string.IsNullOrWhiteSpace(property?.Name))
                    throw new NLogConfigurationException($"Kafka target '{Name}': ProducerConfig item without a name.");
                settings.Set(property.Name.Trim(), property.Value?.Render(LogEventInfo.CreateNullEvent()) ?? string.Empty);
            }
            settings.Set("bootstrap.servers", bootstrapServers);
            settings.ApplyRequired();
            for (int i = 0; i < Headers.Count; i++)
            {
                if (string.IsNullOrEmpty(Headers[i]?.Name))
                    throw new NLogConfigurationException($"Kafka target '{Name}': Header item {i + 1} has no Name.");
            }

            try
            {
                KafkaNativeLibrary.EnsureLoaded();
            }
            catch (DllNotFoundException ex)
            {
                throw new NLogConfigurationException($"Kafka target '{Name}': {ex.Message}", ex);
            }

            try
            {
                _producer = new KafkaProducerHost(this, () => new ProducerBuilder<byte[]?, KafkaMessage>(settings.Properties)
                    .SetValueSerializer(KafkaMessageSerializer.Instance)
                    .SetErrorHandler(OnClientError)
                    .SetLogHandler(OnClientLog)
                    .Build());
            }
            catch (Exception ex) when (ex is ArgumentException || ex is KafkaException || ex is InvalidOperationException)
            {
                // No inner exception: librdkafka's text may quote a configured value.
                throw new NLogConfigurationException($"Kafka target '{Name}': ProducerConfig rejected by librdkafka: {settings.Redact(ex.Message)}");
            }
            _settings = settings;
            // TargetWithContext wraps Layout; the wrapped one may render straight to UTF-8.
            _valueLayout = Utf8LayoutRenderer.Unwrap(Layout);
            _sendWithoutLinger = settings.LingerMs > 0;
        }

        /// <inheritdoc/>
        protected override KafkaMessage RenderItem(LogEventInfo logEvent, out int sizeBytes)
        {
            string topic = Topic!.Render(logEvent);
            if (topic.Length == 0)
                throw new ArgumentException("The Topic layout rendered an empty topic name.");

            byte[]? key = null;
            if (Key != null)
            {
                _scratch.ResetWrittenCount();
                Utf8LayoutRenderer.Render(Key, logEvent, _scratch);
                if (_scratch.WrittenCount > 0)
                    key = _scratch.WrittenSpan.ToArray();
            }

            byte[] value = Utf8LayoutRenderer.RenderToArray(_valueLayout ?? Layout, logEvent, _scratch);
            sizeBytes = value.Length + (key?.Length ?? 0);

            Headers? headers = null;
            if (Headers.Count > 0)
            {
                headers = new Headers();
                for (int i = 0; i < Headers.Count; i++)
                {
                    var header = Headers[i];
                    var bytes = Utf8LayoutRenderer.RenderToArray(header.Layout, logEvent, _scratch);
                    headers.Add(header.Name, bytes);
                    sizeBytes += header.Name.Length + bytes.Length;
                }
            }

            return new KafkaMessage(topic, key, value, headers, new Timestamp(logEvent.TimeStamp.ToUniversalTime(), TimestampType.CreateTime));
        }

        /// <inheritdoc/>
        protected override async Task SendBatchAsync(NetworkBatch<KafkaMessage> batch, CancellationToken cancellationToken)
        {
            var producer = (_producer ?? throw new ObjectDisposedException(nameof(KafkaTarget), "The Kafka producer is closed.")).Acquire();
            var tracker = new KafkaDeliveryTracker(batch);
            try
            {
                await ProduceAndWaitAsync(producer, batch, tracker, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                tracker.Abandon();
                throw;
            }

            if (tracker.RetriableError is Error retriable)
                throw new KafkaDeliveryException(retriable, tracker.RetriableCount, "Kafka did not deliver");
        }

        private async Task ProduceAndWaitAsync(IProducer<byte[]?, KafkaMessage> producer, NetworkBatch<KafkaMessage> batch, KafkaDeliveryTracker tracker, CancellationToken cancellationToken)
        {
            Exception? stopped = null;

            for (int i = 0; i < batch.Count && stopped is null; i++)
            {
                if (batch.IsSettled(i))
                    continue;

                var message = batch[i];
                message.Tracker = tracker;
                message.Index = i;
                int queueFullWaits = 0;
                while (true)
                {
                    tracker.Expect();
                    Error? error;
                    Exception? exception;
                    try
                    {
                        error = TryProduce(producer, message, out exception);
                    }
                    catch (Exception ex)
                    {
                        // Not a Kafka refusal (e.g. the producer was disposed): stop, wait for what is out, retry later.
                        tracker.Release();
                        stopped = ex;
                        break;
                    }
                    if (error is null)
                        break;
                    tracker.Release();

                    if (error.Code == ErrorCode.Local_QueueFull)
                    {
                        // librdkafka's queue is full of earlier messages: wait for their reports, never drop.
                        await Task.Delay(Math.Min(1 << Math.Min(queueFullWaits++, 6), 50), cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    if (!KafkaErrors.IsRetriable(error))
                        batch.Reject(i, DropReasons.Rejected, new KafkaDeliveryException(error, 1, "Kafka refused the message"));
                    else
                        stopped = exception;
                    break;
                }
            }

            tracker.Release();
            if (_sendWithoutLinger && !tracker.Completion.IsCompleted)
            {
                // The batch is complete: librdkafka's linger.ms would only delay it. librdkafka sends
                // at once while a flush is in progress; a 1 ms flush is enough to start that.
                producer.Flush(NudgeFlushTimeout);
            }
            await tracker.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (stopped != null)
                throw stopped;
        }

        /// <inheritdoc/>
        protected override FailureKind ClassifyFailure(Exception exception)
        {
            switch (exception)
            {
                case KafkaDeliveryException delivery:
                    return delivery.IsRetriable ? FailureKind.Retriable : FailureKind.Fatal;
                case KafkaException kafka:
                    return KafkaErrors.IsRetriable(kafka.Error) ? FailureKind.Retriable : FailureKind.Fatal;
                default:
                    return FailureKind.Retriable;
            }
        }

        /// <inheritdoc/>
        protected override void CloseTransport(TimeSpan timeout)
        {
            var host = Interlocked.Exchange(ref _producer, null);
            if (host is null)
                return;

            var clock = Stopwatch.StartNew();
            try
            {
                int undelivered = host.Acquire().Flush(timeout);
                if (undelivered > 0)
                    InternalLogger.Warn("{0}: {1} Kafka messages were still undelivered when the close timeout ({2} ms) elapsed", this, undelivered, (int)timeout.TotalMilliseconds);
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: flushing the Kafka producer failed", this);
            }
            host.Close(timeout - clock.Elapsed);
        }

        private Error? TryProduce(IProducer<byte[]?, KafkaMessage> producer, KafkaMessage message, out Exception? exception)
        {
            var produce = _produceMessage;
            produce.Key = message.Key;
            produce.Value = message;
            produce.Headers = message.Headers;
            produce.Timestamp = message.Timestamp;
            try
            {
                producer.Produce(message.Topic, produce, s_onDelivery);
                exception = null;
                return null;
            }
            catch (KafkaException ex)
            {
                exception = new KafkaDeliveryException(ex.Error, 1, "Kafka refused the message");
                return ex.Error;
            }
            finally
            {
                produce.Key = null;
                produce.Value = null!;
                produce.Headers = null;
            }
        }

        private static void OnDelivery(DeliveryReport<byte[]?, KafkaMessage> report)
        {
            var message = report.Message?.Value;
            message?.Tracker?.OnDeliveryReport(message.Index, report.Error);
        }

        private void OnClientError(IProducer<byte[]?, KafkaMessage> producer, Error error)
        {
            var reason = _settings?.Redact(error.Reason) ?? string.Empty;
            if (error.IsFatal)
            {
                InternalLogger.Error("{0}: Kafka client fatal error {1}: {2}", this, error.Code, reason);
                _producer?.OnFatalError(producer);
            }
            else
                ClientLogRateLimited(LogLevel.Warn, "Kafka client error", error.Code.ToString(), reason);
        }

        private void OnClientLog(IProducer<byte[]?, KafkaMessage> producer, LogMessage log)
        {
            var level = log.Level <= SyslogLevel.Error ? LogLevel.Warn
                : log.Level == SyslogLevel.Warning ? LogLevel.Info
                : LogLevel.Debug;
            bool enabled = level == LogLevel.Warn ? InternalLogger.IsWarnEnabled
                : level == LogLevel.Info ? InternalLogger.IsInfoEnabled
                : InternalLogger.IsDebugEnabled;
            if (!enabled)
                return;
            if (level == LogLevel.Debug)
                InternalLogger.Debug("{0}: librdkafka {1}: {2}", this, log.Facility, _settings?.Redact(log.Message));
            else
                ClientLogRateLimited(level, "librdkafka", log.Facility, _settings?.Redact(log.Message) ?? string.Empty);
        }

        /// <summary>librdkafka repeats connection errors every few seconds while a broker is down: one line per 10 s at most.</summary>
        private void ClientLogRateLimited(LogLevel level, string source, string code, string text)
        {
            long now = Stopwatch.GetTimestamp();
            int suppressed;
            lock (_clientLogLock)
            {
                if (_lastClientLogTimestamp != 0 && Stopwatch.GetElapsedTime(_lastClientLogTimestamp, now).TotalSeconds < 10)
                {
                    _suppressedClientLogs++;
                    return;
                }
                _lastClientLogTimestamp = now;
                suppressed = _suppressedClientLogs;
                _suppressedClientLogs = 0;
            }
            InternalLogger.Log(level, "{0}: {1} {2}: {3} ({4} similar messages suppressed)", this, source, code, text, suppressed);
        }
    }
}
