using System;
using Confluent.Kafka;

namespace NLog.Targets.PyLog.Kafka
{
    /// <summary>Which librdkafka errors are worth producing the message again.</summary>
    /// <remarks>
    /// librdkafka already retries transient broker errors internally until <c>message.timeout.ms</c>;
    /// an error that reaches a delivery report is therefore final for that attempt. Errors that
    /// mean "not now" (timeouts, transport, no leader yet, purged on close) are retried by the
    /// target with its backoff; any other error (message too large, unknown topic, authorization,
    /// invalid record) is permanent and the message is dropped as <c>rejected</c>.
    /// </remarks>
    internal static class KafkaErrors
    {
        public static bool IsRetriable(Error error)
        {
            // librdkafka's fatal state ends that producer, not the target: KafkaProducerHost builds a
            // new one, which delivers the messages the old one failed.
            if (error.IsFatal)
                return true;
            switch (error.Code)
            {
                case ErrorCode.Local_MsgTimedOut:
                case ErrorCode.Local_TimedOut:
                case ErrorCode.Local_TimedOutQueue:
                case ErrorCode.Local_Transport:
                case ErrorCode.Local_AllBrokersDown:
                case ErrorCode.Local_QueueFull:
                case ErrorCode.Local_PurgeQueue:
                case ErrorCode.Local_PurgeInflight:
                case ErrorCode.RequestTimedOut:
                case ErrorCode.NotLeaderForPartition:
                case ErrorCode.LeaderNotAvailable:
                case ErrorCode.PreferredLeaderNotAvailable:
                case ErrorCode.FencedLeaderEpoch:
                case ErrorCode.UnknownLeaderEpoch:
                case ErrorCode.BrokerNotAvailable:
                case ErrorCode.ReplicaNotAvailable:
                case ErrorCode.NotEnoughReplicas:
                case ErrorCode.NotEnoughReplicasAfterAppend:
                case ErrorCode.NetworkException:
                case ErrorCode.KafkaStorageError:
                case ErrorCode.Local_Fatal:
                case ErrorCode.Local_Destroy:
                // Idempotence bookkeeping: librdkafka resolves these itself (epoch bump, new producer
                // id); when one reaches a delivery report, the message was not written.
                case ErrorCode.OutOfOrderSequenceNumber:
                case ErrorCode.UnknownProducerId:
                case ErrorCode.InvalidProducerEpoch:
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>A failed Kafka delivery; the message never contains configuration values.</summary>
    internal sealed class KafkaDeliveryException : Exception
    {
        public KafkaDeliveryException(Error error, int count, string detail)
            : base(detail + ": " + error.Code + " (" + error.Reason + ")" + (count > 1 ? ", " + count + " messages" : string.Empty))
        {
            Code = error.Code;
            IsRetriable = KafkaErrors.IsRetriable(error);
            IsFatal = error.IsFatal;
        }

        public ErrorCode Code { get; }

        public bool IsRetriable { get; }

        /// <summary>librdkafka's fatal state (idempotent producer): that client cannot produce any more (the target replaces it).</summary>
        public bool IsFatal { get; }
    }
}
