using NLog.Config;
using NLog.Layouts;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// A librdkafka producer property passed through by <see cref="KafkaTarget"/>:
    /// <c>&lt;producerConfig name="compression.type" value="lz4" /&gt;</c>.
    /// </summary>
    /// <remarks>
    /// The value is read once when the target initializes. For a secret property (<c>sasl.*</c>
    /// but <c>sasl.mechanism</c> and <c>sasl.username</c>, <c>ssl.*key*</c>, <c>*password*</c>,
    /// <c>*secret*</c>, <c>*token*</c>, <c>*.pem</c>, <c>*keytab*</c>) only
    /// <c>${environment:NAME}</c> is expanded, by the package itself, and the value never appears
    /// in the internal log, an exception or <c>ToString()</c>. Any other value is rendered as an
    /// NLog layout (<c>${machinename}</c>, <c>${environment:...}</c>...).
    /// </remarks>
    [NLogConfigurationItem]
    public sealed class KafkaProducerProperty
    {
        /// <summary>Creates an empty property (for the configuration reader).</summary>
        public KafkaProducerProperty()
        {
        }

        /// <summary>Creates a property.</summary>
        public KafkaProducerProperty(string name, string value)
        {
            Name = name;
            Value = value;
        }

        /// <summary>The librdkafka property name, e.g. <c>acks</c>, <c>linger.ms</c>, <c>sasl.username</c>.</summary>
        /// <remarks>Default: empty (required).</remarks>
        public string Name { get; set; } = string.Empty;

        /// <summary>
        /// The value, read once at initialization. A plain string, not a <c>Layout</c>, so that NLog's
        /// configuration scan (which traces every layout's text) never sees a secret.
        /// </summary>
        /// <remarks>Default: empty.</remarks>
        public string Value { get; set; } = string.Empty;

        /// <summary>The value to hand to librdkafka: secrets through <paramref name="secrets"/>, anything else as a layout.</summary>
        internal string Resolve(Core.SecretText secrets, Target owner)
        {
            string name = Name.Trim();
            if (Core.SecretText.IsSecretName(name))
                return secrets.Expand(Value, owner, "ProducerConfig '" + name + "'") ?? string.Empty;
            if (string.IsNullOrEmpty(Value) || !Value.Contains("${", System.StringComparison.Ordinal))
                return Value ?? string.Empty;
            return Layout.FromString(Value).Render(LogEventInfo.CreateNullEvent());
        }

        /// <summary>Shows the name only: the value may be a secret.</summary>
        public override string ToString() => Name;
    }
}
