using System;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Backpressure
{
    /// <summary>XML configuration: options, default-wrapper, invalid settings, the shipped sample.</summary>
    [TestClass]
    public sealed class BackpressureConfigurationTests
    {
        private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

        private static LogFactory Load(string xml) =>
            new LogFactory().Setup()
                .SetupExtensions(e => e
                    .RegisterAssembly(typeof(BackpressureTargetWrapper).Assembly)
                    .RegisterTarget<SlowRecordingTarget>("BackpressureSlowTest"))
                .LoadConfigurationFromXml(xml).LogFactory;

        private static string Config(string targets) => @"<nlog throwConfigExceptions='true' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>
  <targets>" + targets + @"</targets>
  <rules><logger name='*' minlevel='Trace' writeTo='main' /></rules>
</nlog>";

        [TestMethod]
        public void Xml_options_are_applied()
        {
            using var factory = Load(Config(@"
    <target xsi:type='BackpressureWrapper' name='main' queueLimit='123' batchSize='7' fullPolicy='Block'
            discardThreshold='Debug' blockTimeoutMilliseconds='0' shutdownTimeoutMilliseconds='250'>
      <target xsi:type='BackpressureSlowTest' name='inner' />
    </target>"));
            var wrapper = factory.Configuration!.FindTargetByName<BackpressureTargetWrapper>("main");
            Assert.IsNotNull(wrapper);
            Assert.AreEqual(123, wrapper.QueueLimit);
            Assert.AreEqual(7, wrapper.BatchSize);
            Assert.AreEqual(BackpressureFullPolicy.Block, wrapper.FullPolicy);
            Assert.AreEqual(LogLevel.Debug, wrapper.DiscardThreshold);
            Assert.AreEqual(0, wrapper.BlockTimeoutMilliseconds);
            Assert.AreEqual(250, wrapper.ShutdownTimeoutMilliseconds);
            Assert.IsInstanceOfType<SlowRecordingTarget>(wrapper.WrappedTarget);
        }

        [TestMethod]
        public void Defaults_are_the_documented_ones()
        {
            var wrapper = new BackpressureTargetWrapper();
            Assert.AreEqual(10000, wrapper.QueueLimit);
            Assert.AreEqual(200, wrapper.BatchSize);
            Assert.AreEqual(BackpressureFullPolicy.DiscardLowLevel, wrapper.FullPolicy);
            Assert.AreEqual(LogLevel.Info, wrapper.DiscardThreshold);
            Assert.AreEqual(1000, wrapper.BlockTimeoutMilliseconds);
            Assert.AreEqual(5000, wrapper.ShutdownTimeoutMilliseconds);
        }

        [TestMethod]
        public void Default_wrapper_protects_every_target()
        {
            using var factory = Load(@"<nlog throwConfigExceptions='true' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>
  <targets>
    <default-wrapper xsi:type='BackpressureWrapper' queueLimit='321' fullPolicy='Block' />
    <target xsi:type='BackpressureSlowTest' name='one' />
    <target xsi:type='BackpressureSlowTest' name='two' />
  </targets>
  <rules><logger name='*' minlevel='Trace' writeTo='one,two' /></rules>
</nlog>");
            var logger = factory.GetLogger("dw");
            for (int i = 0; i < 50; i++)
                logger.Info("event " + i);
            factory.Flush(s_timeout);

            foreach (var name in new[] { "one", "two" })
            {
                var wrapper = factory.Configuration!.FindTargetByName<BackpressureTargetWrapper>(name);
                Assert.IsNotNull(wrapper, $"{name} is wrapped");
                Assert.AreEqual(321, wrapper.QueueLimit);
                Assert.AreEqual(BackpressureFullPolicy.Block, wrapper.FullPolicy);
                var inner = (SlowRecordingTarget)wrapper.WrappedTarget!;
                Assert.AreEqual(50, inner.Count, $"{name} received every event through its wrapper");
            }
        }

        [TestMethod]
        [DataRow("queueLimit='0'", "QueueLimit")]
        [DataRow("queueLimit='-3'", "QueueLimit")]
        [DataRow("batchSize='0'", "BatchSize")]
        [DataRow("blockTimeoutMilliseconds='-1'", "BlockTimeoutMilliseconds")]
        [DataRow("shutdownTimeoutMilliseconds='-1'", "ShutdownTimeoutMilliseconds")]
        [DataRow("discardThreshold='Off'", "DiscardThreshold")]
        public void Invalid_setting_fails_at_load_naming_the_property(string attribute, string property)
        {
            var xml = Config($@"
    <target xsi:type='BackpressureWrapper' name='main' {attribute}>
      <target xsi:type='BackpressureSlowTest' name='inner' />
    </target>");
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => Load(xml).Dispose());
            StringAssert.Contains(ex.ToString(), property);
        }

        [TestMethod]
        public void Missing_wrapped_target_fails_at_load_naming_the_property()
        {
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() =>
                Load(Config("<target xsi:type='BackpressureWrapper' name='main' />")).Dispose());
            StringAssert.Contains(ex.ToString(), "WrappedTarget");
        }

        [TestMethod]
        public void Sample_Backpressure_file_writes_every_line_to_the_file()
        {
            string sample = Path.Combine(AppContext.BaseDirectory, "samples", "backpressure-file.config");
            Assert.IsTrue(File.Exists(sample), "sample copied to the test output: " + sample);
            string xml = File.ReadAllText(sample);
            StringAssert.Contains(xml, "fileName=\"logs/app.log\"");

            string folder = Path.Combine(Path.GetTempPath(), "pylog-bp-" + Guid.NewGuid().ToString("N"));
            string logFile = Path.Combine(folder, "logs", "app.log");
            try
            {
                var factory = Load(xml.Replace("fileName=\"logs/app.log\"", "fileName=\"" + logFile + "\""));
                var wrapper = factory.Configuration!.FindTargetByName<BackpressureTargetWrapper>("main");
                Assert.IsNotNull(wrapper);
                Assert.AreEqual(BackpressureFullPolicy.DiscardLowLevel, wrapper.FullPolicy);

                var logger = factory.GetLogger("sample");
                var producerIds = new System.Collections.Concurrent.ConcurrentBag<string>();
                var threads = Enumerable.Range(0, 4).Select(p => new Thread(() =>
                {
                    producerIds.Add(Environment.CurrentManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    for (int i = 0; i < 500; i++)
                        logger.Log(i % 50 == 0 ? LogLevel.Error : LogLevel.Warn, "producer " + p + " line " + i);
                })).ToArray();
                foreach (var thread in threads)
                    thread.Start();
                foreach (var thread in threads)
                    thread.Join();
                logger.Debug("below minlevel, not written");
                factory.Shutdown();

                var lines = File.ReadAllLines(logFile);
                Assert.AreEqual(2000, lines.Length);
                Assert.AreEqual(40, lines.Count(l => l.Contains("|ERROR|")));
                for (int p = 0; p < 4; p++)
                    Assert.AreEqual(500, lines.Count(l => l.Contains("producer " + p + " line ")));
                // ${threadid} is captured on the logging thread, not on the wrapper's background thread.
                CollectionAssert.IsSubsetOf(lines.Select(l => l.Split('|')[2]).Distinct().ToArray(), producerIds.ToArray());
            }
            finally
            {
                if (Directory.Exists(folder))
                    Directory.Delete(folder, recursive: true);
            }
        }
    }
}
