using System;
using System.Collections.Generic;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Kafka
{
    /// <summary>
    /// The librdkafka configuration of a <see cref="KafkaTarget"/>: the target's defaults, then the
    /// user's <c>producerConfig</c> items, then the settings the target relies on. Knows which values
    /// are secrets and scrubs them from any text headed for a log or an exception.
    /// </summary>
    internal sealed class KafkaClientSettings
    {
        /// <summary>
        /// <c>0</c>: librdkafka keeps a message until a broker acknowledges it, however long the
        /// outage (its own default gives up after 300 s). What is held is bounded by the queue
        /// below, not by time; closing the target gives up on the rest and counts it.
        /// </summary>
        internal const string DefaultMessageTimeoutMs = "0";

        /// <summary>
        /// With bounded retries (<c>RetryCount</c> 0 or more, e.g. a child of a FailoverGroup) an
        /// attempt must be able to fail: librdkafka gives a message back after 5 s, and each such
        /// expiry is one failed attempt of the target.
        /// </summary>
        internal const string BoundedRetryMessageTimeoutMs = "5000";

        /// <summary>The target already batches (LingerMilliseconds); librdkafka need not wait again.</summary>
        internal const string DefaultLingerMs = "5";

        public KafkaClientSettings(SecretText? secrets = null)
        {
            Secrets = secrets ?? new SecretText();
        }

        /// <summary>
        /// The in-flight bound in messages: librdkafka's queue, which holds what is produced and not
        /// yet acknowledged. 100000 (librdkafka's default) holds 50 s at 2000 events/s.
        /// </summary>
        internal const string DefaultMaxMessagesInFlight = "100000";

        /// <summary>The in-flight bound in KiB: 64 MiB (librdkafka's default is 1 GiB, too much for a log shipper's memory).</summary>
        internal const string DefaultMaxKbytesInFlight = "65536";

        /// <summary>librdkafka backs off reconnecting up to 10 s by default; a returning broker is used again within about a second.</summary>
        internal const string DefaultReconnectBackoffMaxMs = "1000";

        /// <summary>librdkafka's first reconnect backoff (its default, stated so that it stays below the cap).</summary>
        internal const string DefaultReconnectBackoffMs = "100";


        /// <summary>The secret values of this configuration, for redaction.</summary>
        public SecretText Secrets { get; }

        public Dictionary<string, string> Properties { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["message.timeout.ms"] = DefaultMessageTimeoutMs,
            ["linger.ms"] = DefaultLingerMs,
            ["client.id"] = "NLog.Targets.PyLog",
            ["queue.buffering.max.messages"] = DefaultMaxMessagesInFlight,
            ["queue.buffering.max.kbytes"] = DefaultMaxKbytesInFlight,
            ["reconnect.backoff.ms"] = DefaultReconnectBackoffMs,
            ["reconnect.backoff.max.ms"] = DefaultReconnectBackoffMaxMs,
            // Retries inside librdkafka neither duplicate nor reorder a partition; it requires acks=all.
            ["enable.idempotence"] = "true",
            ["acks"] = "all",
        };

        private readonly HashSet<string> _userSet = new HashSet<string>(StringComparer.Ordinal);

        public void Set(string name, string value)
        {
            name = Canonical(name);
            _userSet.Add(name);
            Properties[name] = value;
            if (IsSecret(name))
                Secrets.Add(value);
        }

        /// <summary>Whether a <c>producerConfig</c> item (or the target) set this property (aliases count as their canonical name).</summary>
        public bool IsSet(string name) => _userSet.Contains(Canonical(name));

        /// <summary>Applied last: the delivery handler needs these.</summary>
        public void ApplyRequired()
        {
            // Idempotence is only a default: a user who asks for acks=0 or 1 (which it cannot work
            // with) gets them without it, rather than a configuration error.
            if (!_userSet.Contains("enable.idempotence") && Properties.TryGetValue("acks", out var acks) && acks.Trim() != "all" && acks.Trim() != "-1")
                Properties["enable.idempotence"] = "false";
            Properties["dotnet.producer.enable.delivery.reports"] = "true";
            // The handler reads the error and the value (our KafkaMessage, handed back as is; without
            // "value" Confluent.Kafka 1.9 leaves it null). Key, headers and timestamp are not marshaled back.
            Properties["dotnet.producer.delivery.report.fields"] = "value,status";
        }

        /// <summary>The effective <c>linger.ms</c> (0 when unparsable: librdkafka rejects it at build time anyway).</summary>
        public double LingerMs
        {
            get
            {
                string? value;
                if (!Properties.TryGetValue("linger.ms", out value))
                    return 0;
                return double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms) ? ms : 0;
            }
        }

        /// <summary>librdkafka's aliases of the properties the target sets defaults for, mapped to one name so a user's value replaces the default.</summary>
        private static string Canonical(string name)
        {
            switch (name)
            {
                case "delivery.timeout.ms":
                    return "message.timeout.ms";
                case "queue.buffering.max.ms":
                    return "linger.ms";
                case "request.required.acks":
                    return "acks";
                default:
                    return name;
            }
        }

        /// <summary>The in-flight bound in messages: librdkafka's <c>queue.buffering.max.messages</c>.</summary>
        public long MaxMessagesInFlight => Number("queue.buffering.max.messages", 100000);

        /// <summary>The in-flight bound in bytes: librdkafka's <c>queue.buffering.max.kbytes</c> × 1024.</summary>
        public long MaxBytesInFlight => Number("queue.buffering.max.kbytes", 1048576) * 1024;

        private long Number(string name, long fallback)
        {
            return Properties.TryGetValue(name, out var text) && long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0
                ? value
                : fallback;
        }

        public static bool IsSecret(string propertyName) => SecretText.IsSecretName(propertyName);

        /// <summary>Replaces every secret value occurring in <paramref name="text"/> with <c>***</c>.</summary>
        public string Redact(string? text) => Secrets.Redact(text);
    }
}
