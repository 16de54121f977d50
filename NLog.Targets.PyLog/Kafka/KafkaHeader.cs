using NLog.Config;
using NLog.Layouts;

namespace NLog.Targets.PyLog
{
    /// <summary>A Kafka record header of <see cref="KafkaTarget"/>: <c>&lt;header name="..." layout="..." /&gt;</c>.</summary>
    [NLogConfigurationItem]
    public sealed class KafkaHeader
    {
        /// <summary>Creates an empty header (for the configuration reader).</summary>
        public KafkaHeader()
        {
        }

        /// <summary>Creates a header.</summary>
        public KafkaHeader(string name, Layout layout)
        {
            Name = name;
            Layout = layout;
        }

        /// <summary>The header key.</summary>
        /// <remarks>Default: empty (required).</remarks>
        public string Name { get; set; } = string.Empty;

        /// <summary>The header value, rendered per event and sent as UTF-8.</summary>
        /// <remarks>Default: empty.</remarks>
        public Layout Layout { get; set; } = Layout.Empty;
    }
}
