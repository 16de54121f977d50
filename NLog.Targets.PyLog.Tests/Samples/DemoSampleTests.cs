using System;
using System.IO;
using System.Linq;
using Microsoft.Extensions.Logging;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Extensions.Logging;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Samples
{
    /// <summary>The demo's default sample, loaded as the demo loads it, through both logging APIs.</summary>
    [TestClass]
    public sealed class DemoSampleTests
    {
        [TestMethod]
        public void DemoSampleDeliversThroughNLogApi()
        {
            using var folder = new FilesTempFolder();
            using var factory = LoadDemoSample(folder.Path);
            var logger = factory.GetLogger("demo");

            for (int i = 0; i < 2000; i++)
                logger.Info("info {0}", i);
            for (int i = 0; i < 20; i++)
                logger.Error("error {0}", i);
            factory.Shutdown();

            var lines = File.ReadAllLines(Path.Combine(folder.Path, "demo.log"));
            Assert.AreEqual(2020, lines.Length, "a 10000-event queue in front of a file loses nothing at this volume");
            Assert.AreEqual(20, lines.Count(l => l.Contains("|ERROR|demo|error ", StringComparison.Ordinal)));
        }

        [TestMethod]
        public void DemoSampleDeliversThroughMicrosoftExtensionsLogging()
        {
            using var folder = new FilesTempFolder();
            using var factory = LoadDemoSample(folder.Path);
            using (var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new NLogLoggerProvider(new NLogProviderOptions(), factory))))
            {
                var logger = loggerFactory.CreateLogger("Orders");
                for (int i = 0; i < 100; i++)
                    logger.LogWarning("order {Order} slow", i);
            }
            factory.Shutdown();

            var lines = File.ReadAllLines(Path.Combine(folder.Path, "demo.log"));
            Assert.AreEqual(100, lines.Length);
            StringAssert.Contains(lines[99], "|WARN|Orders|order 99 slow");
        }

        private static LogFactory LoadDemoSample(string folder)
        {
            string xml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "demo.config"));
            Assert.IsTrue(xml.Contains("fileName=\"logs/demo.log\""), "the sample's file name the test redirects");
            xml = xml.Replace("fileName=\"logs/demo.log\"", $"fileName=\"{folder}/demo.log\"")
                     .Replace("archiveFileName=\"logs/", $"archiveFileName=\"{folder}/");
            return TestLogFactory.FromXml(xml);
        }
    }
}
