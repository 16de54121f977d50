using NLog.Layouts;

namespace NLog.Targets.PyLog.Kafka
{
    /// <summary>The value layout of a <see cref="KafkaTarget"/> when none is configured.</summary>
    internal static class KafkaDefaultLayout
    {
        public static Layout Create()
        {
            return new JsonLayout
            {
                Attributes =
                {
                    new JsonAttribute("time", "${date:universalTime=true:format=o}"),
                    new JsonAttribute("level", "${level}"),
                    new JsonAttribute("logger", "${logger}"),
                    new JsonAttribute("message", "${message}"),
                    new JsonAttribute("exception", "${exception:format=tostring}"),
                },
            };
        }
    }
}
