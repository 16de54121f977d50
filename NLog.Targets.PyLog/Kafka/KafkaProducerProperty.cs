using NLog.Config;
using NLog.Layouts;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// A librdkafka producer property passed through by <see cref="KafkaTarget"/>:
    /// <c>&lt;producerConfig name="compression.type" value="lz4" /&gt;</c>.
    /// </summary>
    /// <remarks>
    /// The value is a layout rendered once when the target initializes, so secrets can come from
    /// the environment (<c>value="${environment:KAFKA_PASSWORD}"</c>) rather than from the file.
    /// Values of secret properties (<c>*password*</c>, <c>*secret*</c>, <c>sasl.jaas.config</c>,
    /// <c>sasl.oauthbearer.config</c>, <c>*.pem</c>, ...) never appear in logs or exceptions.
    /// </remarks>
    [NLogConfigurationItem]
    public sealed class KafkaProducerProperty
    {
        /// <summary>Creates an empty property (for the configuration reader).</summary>
        public KafkaProducerProperty()
        {
        }

        /// <summary>Creates a property.</summary>
        public KafkaProducerProperty(string name, Layout value)
        {
            Name = name;
            Value = value;
        }

        /// <summary>The librdkafka property name, e.g. <c>acks</c>, <c>linger.ms</c>, <c>sasl.username</c>.</summary>
        /// <remarks>Default: empty (required).</remarks>
        public string Name { get; set; } = string.Empty;

        /// <summary>The value, rendered once at initialization.</summary>
        /// <remarks>Default: empty.</remarks>
        public Layout Value { get; set; } = Layout.Empty;

        /// <summary>Shows the name only: the value may be a secret.</summary>
        public override string ToString() => Name;
    }
}
