using System;
using NLog.Config;
using NLog.Targets;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>Builds isolated <see cref="LogFactory"/> instances (never the global LogManager).</summary>
    public static class TestLogFactory
    {
        /// <summary>A factory with one target receiving every level.</summary>
        public static LogFactory With(Target target, LogLevel? minLevel = null)
        {
            var factory = new LogFactory();
            factory.ThrowConfigExceptions = true;
            var config = new LoggingConfiguration(factory);
            config.AddRule(minLevel ?? LogLevel.Trace, LogLevel.Fatal, target);
            factory.Configuration = config;
            return factory;
        }

        /// <summary>A factory loaded from nlog.config XML, with this package's extensions and the test fakes registered.</summary>
        public static LogFactory FromXml(string xml)
        {
            return new LogFactory().Setup()
                .SetupExtensions(e =>
                {
                    e.RegisterAssembly(typeof(NLog.Targets.PyLog.Core.PyLogMetrics).Assembly);
                    e.RegisterAssembly(typeof(TestLogFactory).Assembly);
                })
                .LoadConfigurationFromXml(xml)
                .LogFactory;
        }
    }
}
