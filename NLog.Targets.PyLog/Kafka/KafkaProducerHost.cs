using System;
using System.Threading;
using System.Threading.Tasks;
using Confluent.Kafka;
using NLog.Common;

namespace NLog.Targets.PyLog.Kafka
{
    /// <summary>
    /// Owns the librdkafka producer of a Kafka target: builds it, replaces it after a fatal error,
    /// and closes it within a bound.
    /// </summary>
    /// <remarks>
    /// An idempotent producer can enter librdkafka's fatal state (the broker lost track of its
    /// sequence numbers, its producer id was fenced): from then on it refuses every message with
    /// <c>Local_Fatal</c>. A log target must outlive that, so the next send after a fatal error
    /// builds a fresh producer (a new producer id); the messages the old one failed are produced
    /// again through it by the target's retry. The old one is disposed in the background: disposing
    /// joins librdkafka's threads, which may wait on a dead connection.
    /// </remarks>
    internal sealed class KafkaProducerHost
    {
        private readonly Func<IProducer<byte[]?, KafkaMessage>> _build;
        private readonly object _lock = new object();
        private readonly object _owner;
        private IProducer<byte[]?, KafkaMessage>? _producer;
        private IProducer<byte[]?, KafkaMessage>? _fatal;
        private int _replacements;

        /// <summary>Builds the first producer now, so that a bad configuration fails at initialization.</summary>
        public KafkaProducerHost(object owner, Func<IProducer<byte[]?, KafkaMessage>> build)
        {
            _owner = owner;
            _build = build;
            _producer = build();
        }

        /// <summary>How many times a fatal producer was replaced.</summary>
        public int Replacements => Volatile.Read(ref _replacements);

        /// <summary>The producer to produce with; a fresh one when the current one is in librdkafka's fatal state.</summary>
        /// <exception cref="ObjectDisposedException">The host was closed.</exception>
        public IProducer<byte[]?, KafkaMessage> Acquire()
        {
            var producer = Volatile.Read(ref _producer) ?? throw new ObjectDisposedException(nameof(KafkaTarget), "The Kafka producer is closed.");
            if (!ReferenceEquals(producer, Volatile.Read(ref _fatal)))
                return producer;

            IProducer<byte[]?, KafkaMessage>? retired = null;
            lock (_lock)
            {
                producer = _producer ?? throw new ObjectDisposedException(nameof(KafkaTarget), "The Kafka producer is closed.");
                if (ReferenceEquals(producer, _fatal))
                {
                    retired = producer;
                    producer = _build();
                    _producer = producer;
                    _replacements++;
                }
            }
            if (retired != null)
            {
                InternalLogger.Warn("{0}: the Kafka producer was in a fatal state; replaced it with a new one (messages it failed are produced again)", _owner);
                _ = Task.Run(() => DisposeQuietly(retired));
            }
            return producer;
        }

        /// <summary>Called from librdkafka's error callback: the producer that raised a fatal error is replaced at the next <see cref="Acquire"/>.</summary>
        public void OnFatalError(IProducer<byte[]?, KafkaMessage> producer) => Volatile.Write(ref _fatal, producer);

        /// <summary>Disposes the producer, waiting at most <paramref name="timeout"/> (at least one second) for librdkafka's threads; never throws.</summary>
        public void Close(TimeSpan timeout)
        {
            IProducer<byte[]?, KafkaMessage>? producer;
            lock (_lock)
            {
                producer = _producer;
                _producer = null;
            }
            if (producer is null)
                return;
            var dispose = Task.Run(() => DisposeQuietly(producer));
            if (!dispose.Wait(timeout > TimeSpan.FromSeconds(1) ? timeout : TimeSpan.FromSeconds(1)))
                InternalLogger.Warn("{0}: the Kafka client did not shut down within the close timeout; leaving it to finish in the background", _owner);
        }

        private void DisposeQuietly(IProducer<byte[]?, KafkaMessage> producer)
        {
            try
            {
                producer.Dispose();
            }
            catch (Exception ex)
            {
                InternalLogger.Warn(ex, "{0}: disposing a Kafka producer failed", _owner);
            }
        }
    }
}
