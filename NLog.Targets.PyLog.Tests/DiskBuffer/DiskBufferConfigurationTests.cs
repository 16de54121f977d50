using System;
using System.IO;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Config;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>The sample loads and delivers; bad settings fail at load naming target, property and value.</summary>
    [TestClass]
    public sealed class DiskBufferConfigurationTests
    {
        [TestMethod]
        public void Sample_config_buffers_to_disk_and_delivers_to_redis()
        {
            string samplePath = Path.Combine(AppContext.BaseDirectory, "samples", "disk-buffer.config");
            Assert.IsTrue(File.Exists(samplePath), "sample missing: " + samplePath);
            using var server = RedisServer.Start();
            using var folder = new FilesTempFolder();
            string xml = File.ReadAllText(samplePath)
                .Replace("port=\"6379\"", "port=\"" + server.Port + "\"", StringComparison.Ordinal)
                .Replace("${basedir}/log-buffer", folder.Path, StringComparison.Ordinal);
            StringAssert.Contains(xml, server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "the sample's Redis port changed; update this test");
            StringAssert.Contains(xml, folder.Path, "the sample's directory changed; update this test");

            var factory = TestLogFactory.FromXml(xml);
            var wrapper = factory.Configuration!.FindTargetByName<DiskBufferTargetWrapper>("durable");
            Assert.IsNotNull(wrapper);
            Assert.AreEqual(1L << 30, wrapper.MaxBytes);
            Assert.AreEqual(DiskBufferFullPolicy.DropNewest, wrapper.FullPolicy);
            Assert.IsInstanceOfType<RedisTarget>(wrapper.WrappedTarget);

            var logger = factory.GetLogger("Sample");
            for (int i = 0; i < 100; i++)
                logger.Info("sample {0}", i);
            factory.Flush(TimeSpan.FromSeconds(20));
            using var client = server.Client();
            var records = client.ListRange("plume_log_list");
            factory.Shutdown();
            Assert.AreEqual(100, records.Count);
            using var first = JsonDocument.Parse(records[0]);
            Assert.AreEqual("sample 0", first.RootElement.GetProperty("content").GetString());
        }

        [TestMethod]
        [DataRow("maxBytes=\"1000\"", "MaxBytes", "1000")]
        [DataRow("segmentBytes=\"10\"", "SegmentBytes", "10")]
        [DataRow("flushIntervalMilliseconds=\"0\"", "FlushIntervalMilliseconds", "0")]
        [DataRow("fsyncIntervalMilliseconds=\"-1\"", "FsyncIntervalMilliseconds", "-1")]
        [DataRow("batchSize=\"0\"", "BatchSize", "0")]
        [DataRow("maxInFlight=\"-5\"", "MaxInFlight", "-5")]
        public void Bad_setting_fails_at_load_naming_target_property_and_value(string attribute, string property, string value)
        {
            using var folder = new FilesTempFolder();
            string xml = $@"<nlog xmlns:xsi=""http://www.w3.org/2001/XMLSchema-instance"" throwConfigExceptions=""true"">
  <targets><target xsi:type=""DiskBufferWrapper"" name=""durable"" directory=""{folder.Path}"" {attribute}><target xsi:type=""Null"" name=""null"" /></target></targets>
  <rules><logger name=""*"" writeTo=""durable"" /></rules>
</nlog>";
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(xml));
            string message = ex.ToString();
            StringAssert.Contains(message, "durable");
            StringAssert.Contains(message, property);
            StringAssert.Contains(message, "'" + value + "'");
        }

        [TestMethod]
        public void Missing_directory_fails_at_load()
        {
            string xml = @"<nlog xmlns:xsi=""http://www.w3.org/2001/XMLSchema-instance"" throwConfigExceptions=""true"">
  <targets><target xsi:type=""DiskBufferWrapper"" name=""durable""><target xsi:type=""Null"" name=""null"" /></target></targets>
  <rules><logger name=""*"" writeTo=""durable"" /></rules>
</nlog>";
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(xml));
            StringAssert.Contains(ex.ToString(), "Directory is required");
        }
    }
}
