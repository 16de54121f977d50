using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Config;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Core
{
    [TestClass]
    public sealed class NetworkConfigurationTests
    {
        [TestMethod]
        [DataRow("batchSize", "0")]
        [DataRow("batchSize", "-5")]
        [DataRow("maxBatchBytes", "0")]
        [DataRow("lingerMilliseconds", "-1")]
        [DataRow("retryCount", "-2")]
        [DataRow("retryDelayMilliseconds", "-1")]
        [DataRow("maxRetryDelayMilliseconds", "10")]
        [DataRow("closeTimeoutMilliseconds", "-1")]
        [DataRow("closeTimeoutMilliseconds", "2147483647")]
        [DataRow("queueLimit", "0")]
        public void Invalid_value_fails_at_load_naming_the_property(string property, string value)
        {
            string xml = $@"<nlog throwConfigExceptions='true'>
  <targets><target type='FakeNetwork' name='bad' retryDelayMilliseconds='100' {property}='{value}' /></targets>
  <rules><logger name='*' writeTo='bad' /></rules>
</nlog>";
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(xml));
            StringAssert.Contains(Flatten(ex), property, StringComparison.OrdinalIgnoreCase);
        }

        [TestMethod]
        public void Invalid_PyLogJson_layout_option_fails_the_load()
        {
            // NLog 6.2 only logs a layout's own configuration error; the target rethrows it.
            string xml = @"<nlog throwConfigExceptions='true'>
  <targets><target type='FakeNetwork' name='json'><layout type='PyLogJson' maskProperties='a,,b' /></target></targets>
  <rules><logger name='*' writeTo='json' /></rules>
</nlog>";
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(xml));
            StringAssert.Contains(Flatten(ex), "MaskProperties", StringComparison.OrdinalIgnoreCase);
        }

        [TestMethod]
        public void Invalid_PyLogJson_layout_option_fails_an_archive_file_load()
        {
            string xml = @"<nlog throwConfigExceptions='true'>
  <targets><target type='ArchiveFile' name='file' fileName='${tempdir}/pylog-never-written.log'><layout type='PyLogJson' maxRecursionLimit='-1' /></target></targets>
  <rules><logger name='*' writeTo='file' /></rules>
</nlog>";
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(xml));
            StringAssert.Contains(Flatten(ex), "MaxRecursionLimit", StringComparison.OrdinalIgnoreCase);
        }

        [TestMethod]
        public void Valid_options_load_from_xml()
        {
            string xml = @"<nlog throwConfigExceptions='true'>
  <targets><target type='FakeNetwork' name='ok' batchSize='50' maxBatchBytes='4096' lingerMilliseconds='0' retryCount='3' /></targets>
  <rules><logger name='*' writeTo='ok' /></rules>
</nlog>";
            using var factory = TestLogFactory.FromXml(xml);
            var target = factory.Configuration!.FindTargetByName<FakeNetworkTarget>("ok")!;
            Assert.AreEqual(50, target.BatchSize);
            Assert.AreEqual(4096, target.MaxBatchBytes);
            Assert.AreEqual(0, target.LingerMilliseconds);
            Assert.AreEqual(3, target.RetryCount);
        }

        [TestMethod]
        public void Defaults_are_the_documented_ones()
        {
            var target = new FakeNetworkTarget();
            Assert.AreEqual(500, target.BatchSize);
            Assert.AreEqual(1024 * 1024, target.MaxBatchBytes);
            Assert.AreEqual(100, target.LingerMilliseconds);
            Assert.AreEqual(-1, target.RetryCount);
            Assert.AreEqual(100, target.RetryDelayMilliseconds);
            Assert.AreEqual(10000, target.MaxRetryDelayMilliseconds);
            Assert.AreEqual(10000, target.QueueLimit);
        }

        private static string Flatten(Exception ex)
        {
            var text = ex.Message;
            for (var inner = ex.InnerException; inner != null; inner = inner.InnerException)
                text += " | " + inner.Message;
            return text;
        }
    }
}
