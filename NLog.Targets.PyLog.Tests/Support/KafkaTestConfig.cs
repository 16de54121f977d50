namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>nlog.config text for a Kafka target on a mock cluster, loaded into a fresh <see cref="LogFactory"/>.</summary>
    internal static class KafkaTestConfig
    {
        public static LogFactory CreateFactory(string xml)
        {
            return new LogFactory().Setup()
                .SetupExtensions(e => e.RegisterAssembly(typeof(KafkaTarget).Assembly))
                .LoadConfigurationFromXml(xml)
                .LogFactory;
        }

        /// <summary>One Kafka target named <paramref name="name"/> that every logger writes to; <paramref name="attributes"/> and <paramref name="inner"/> are pasted in as they are.</summary>
        public static string Xml(string name, KafkaMockCluster cluster, string topic, string? key = null, string attributes = "", string inner = "")
        {
            return "<nlog throwConfigExceptions='true'><targets>" +
                $"<target type='Kafka' name='{name}' bootstrapServers='{cluster.BootstrapServers}' topic='{topic}' " +
                (key is null ? string.Empty : $"key='{key}' ") + attributes + ">" + inner +
                "</target></targets>" +
                $"<rules><logger name='*' minlevel='Trace' writeTo='{name}' /></rules></nlog>";
        }
    }
}
