using System;
using System.Buffers;
using System.Threading;
using System.Threading.Tasks;
using Confluent.Kafka;
using NLog.Common;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Kafka
{
    /// <summary>
    /// The Kafka side of <see cref="KafkaTarget"/>: renders each event into a
    /// <see cref="KafkaMessage"/>, produces a batch in one go with a shared delivery handler and
    /// completes the attempt when librdkafka has reported on every message of it. Many batches are
    /// in flight at once (the target's <c>MaxBatchesInFlight</c>); what they hold together is
    /// bounded by <see cref="KafkaInFlight"/> (librdkafka's queue limits).
    /// </summary>
    internal sealed class KafkaTransport : BatchTransport<KafkaMessage>
    {
        private static readonly Action<DeliveryReport<byte[]?, KafkaMessage>> s_onDelivery = OnDelivery;

        private readonly KafkaTarget _target;
        private readonly KafkaClientSettings _settings;
        private readonly Layout _topic;
        private readonly Layout? _key;
        private readonly Layout _valueLayout;
        private readonly KafkaHeader[] _headers;
        private readonly ArrayBufferWriter<byte> _scratch = new ArrayBufferWriter<byte>(1024);
        private readonly WarningLimiter _clientLogLimiter = new WarningLimiter();
        private readonly KafkaInFlight _inFlight;
        private readonly KafkaProducerHost _producer;

        /// <summary>Builds the producer; the options were validated by the target.</summary>
        public KafkaTransport(KafkaTarget target, KafkaClientSettings settings, Layout topic, Layout? key, Layout valueLayout, KafkaHeader[] headers)
        {
            _target = target;
            _settings = settings;
            _topic = topic;
            _key = key;
            _valueLayout = valueLayout;
            _headers = headers;
            _inFlight = new KafkaInFlight(settings.MaxMessagesInFlight, settings.MaxBytesInFlight);
            _producer = new KafkaProducerHost(target, () => new ProducerBuilder<byte[]?, KafkaMessage>(settings.Properties)
                .SetValueSerializer(KafkaMessageSerializer.Instance)
                .SetErrorHandler(OnClientError)
                .SetLogHandler(OnClientLog)
                .Build());
        }

        /// <summary>The producer's owner (tests raise librdkafka errors on its producer).</summary>
        internal KafkaProducerHost Producer => _producer;

        /// <summary>Messages produced and not yet reported on.</summary>
        internal KafkaInFlight InFlight => _inFlight;

        /// <inheritdoc/>
        public override bool IsUnreachable => _inFlight.AllBrokersDown;

        /// <inheritdoc/>
        public override ValueTask WaitForRoomAsync(int events, long bytes, CancellationToken cancellationToken)
            => _inFlight.WaitForRoomAsync(events, bytes, cancellationToken);

        /// <inheritdoc/>
        public override KafkaMessage Render(LogEventInfo logEvent, out int sizeBytes, out string? key)
        {
            key = null;
            string topic = _topic.Render(logEvent);
            if (topic.Length == 0)
                throw new ArgumentException("The Topic layout rendered an empty topic name.");

            byte[]? recordKey = null;
            if (_key != null)
            {
                _scratch.ResetWrittenCount();
                Utf8LayoutRenderer.Render(_key, logEvent, _scratch);
                if (_scratch.WrittenCount > 0)
                    recordKey = _scratch.WrittenSpan.ToArray();
            }

            byte[] value = Utf8LayoutRenderer.RenderToArray(_valueLayout, logEvent, _scratch);
            sizeBytes = value.Length + (recordKey?.Length ?? 0);

            Headers? headers = null;
            if (_headers.Length > 0)
            {
                headers = new Headers();
                for (int i = 0; i < _headers.Length; i++)
                {
                    var header = _headers[i];
                    var bytes = Utf8LayoutRenderer.RenderToArray(header.Layout, logEvent, _scratch);
                    headers.Add(header.Name, bytes);
                    sizeBytes += header.Name.Length + bytes.Length;
                }
            }

            return new KafkaMessage(topic, recordKey, value, headers, new Timestamp(logEvent.TimeStamp.ToUniversalTime(), TimestampType.CreateTime));
        }

        /// <inheritdoc/>
        public override async Task SendAsync(NetworkBatch<KafkaMessage> batch, CancellationToken cancellationToken)
        {
            var producer = _producer.Acquire();
            var tracker = new KafkaDeliveryTracker(batch, _inFlight);
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

        /// <inheritdoc/>
        public override FailureKind Classify(Exception exception)
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
        public override void Close(TimeSpan timeout)
        {
            // Every batch has its outcome by now (the base gave up on what it could not deliver):
            // nothing left to wait for but librdkafka's own threads.
            _producer.Close(timeout);
        }

        private async Task ProduceAndWaitAsync(IProducer<byte[]?, KafkaMessage> producer, NetworkBatch<KafkaMessage> batch, KafkaDeliveryTracker tracker, CancellationToken cancellationToken)
        {
            Exception? stopped = null;
            // One per attempt: several batches may be produced at once.
            var produce = new Message<byte[]?, KafkaMessage>();

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
                        error = TryProduce(producer, produce, message, out exception);
                    }
                    catch (Exception ex)
                    {
                        // Not a Kafka refusal (e.g. the producer was disposed): stop, wait for what is out, retry later.
                        tracker.Release();
                        stopped = ex;
                        break;
                    }
                    if (error is null)
                    {
                        _inFlight.Produced(message.Size);
                        break;
                    }
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

            // No nudge past linger.ms: later batches are produced while this one waits, so librdkafka's
            // linger fills its requests instead of delaying the writer.
            tracker.Release();
            await tracker.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (stopped != null)
                throw stopped;
        }

        private static Error? TryProduce(IProducer<byte[]?, KafkaMessage> producer, Message<byte[]?, KafkaMessage> produce, KafkaMessage message, out Exception? exception)
        {
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
            var tracker = message?.Tracker;
            if (tracker is null)
                return;
            tracker.InFlight.Reported(message!.Size, !report.Error.IsError);
            tracker.OnDeliveryReport(message.Index, report.Error);
        }

        private void OnClientError(IProducer<byte[]?, KafkaMessage> producer, Error error)
        {
            var reason = _settings.Redact(error.Reason);
            if (error.IsFatal)
            {
                InternalLogger.Error("{0}: Kafka client fatal error {1}: {2}", _target, error.Code, reason);
                _producer.OnFatalError(producer);
                return;
            }
            if (error.Code == ErrorCode.Local_AllBrokersDown && _inFlight.OnAllBrokersDown())
                BecameUnreachable?.Invoke();
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
            // librdkafka ends some lines with a line break and sends some with no text at all: an
            // empty internal log line helps nobody.
            string text = ClientLogText(log.Message, _settings);
            if (text.Length == 0)
                return;
            if (level == LogLevel.Debug)
                InternalLogger.Debug("{0}: librdkafka {1}: {2}", _target, log.Facility, text);
            else
                ClientLogRateLimited(level, "librdkafka", log.Facility, text);
        }

        /// <summary>The redacted text of a librdkafka log line without surrounding white space; empty when it has none.</summary>
        internal static string ClientLogText(string? message, KafkaClientSettings settings)
        {
            if (string.IsNullOrWhiteSpace(message))
                return string.Empty;
            return settings.Redact(message.Trim()).Trim();
        }

        /// <summary>librdkafka repeats connection errors every few seconds while a broker is down: one line per interval at most.</summary>
        private void ClientLogRateLimited(LogLevel level, string source, string code, string text)
        {
            if (_clientLogLimiter.TryEnter(out int suppressed))
                InternalLogger.Log(level, "{0}: {1} {2}: {3} ({4} similar messages suppressed)", _target, source, code, text, suppressed);
        }
    }
}
