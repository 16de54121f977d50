using NLog.Layouts;

namespace NLog.Targets.PyLog.Kafka
{
    /// <summary>The value layout of a <see cref="KafkaTarget"/> when none is configured.</summary>
    internal static class KafkaDefaultLayout
    {
        /// <summary>PyLogJson: one JSON object per event, rendered straight to UTF-8.</summary>
        public static Layout Create() => new PyLogJsonLayout();
    }
}
