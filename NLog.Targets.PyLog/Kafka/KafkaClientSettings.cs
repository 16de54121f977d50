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
        /// <summary>librdkafka's own default is 300000 (5 min); a log shipper should hand a dead cluster back to its retry loop sooner.</summary>
        internal const string DefaultMessageTimeoutMs = "30000";

        /// <summary>The target already batches (LingerMilliseconds); librdkafka need not wait again.</summary>
        internal const string DefaultLingerMs = "5";

        public KafkaClientSettings(SecretText? secrets = null)
        {
            Secrets = secrets ?? new SecretText();
        }

        /// <summary>The secret values of this configuration, for redaction.</summary>
        public SecretText Secrets { get; }

        public Dictionary<string, string> Properties { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["message.timeout.ms"] = DefaultMessageTimeoutMs,
            ["linger.ms"] = DefaultLingerMs,
            ["client.id"] = "NLog.Targets.PyLog",
        };

        public void Set(string name, string value)
        {
            Properties[name] = value;
            if (IsSecret(name))
                Secrets.Add(value);
        }

        /// <summary>Applied last: the delivery handler needs these.</summary>
        public void ApplyRequired()
        {
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
                if (!Properties.TryGetValue("linger.ms", out value) && !Properties.TryGetValue("queue.buffering.max.ms", out value))
                    return 0;
                return double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms) ? ms : 0;
            }
        }

        public static bool IsSecret(string propertyName) => SecretText.IsSecretName(propertyName);

        /// <summary>Replaces every secret value occurring in <paramref name="text"/> with <c>***</c>.</summary>
        public string Redact(string? text) => Secrets.Redact(text);
    }
}
