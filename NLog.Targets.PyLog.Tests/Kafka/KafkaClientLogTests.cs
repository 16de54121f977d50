using System;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Kafka
{
    [TestClass]
    public class KafkaClientLogTests
    {
        [TestMethod]
        [DataRow(null, "")]
        [DataRow("", "")]
        [DataRow(" \r\n", "")]
        [DataRow("  [thrd:main]: connected\n", "[thrd:main]: connected")]
        public void Librdkafka_log_text_is_trimmed_and_blank_lines_are_dropped(string? message, string expected)
        {
            var settings = new NLog.Targets.PyLog.Kafka.KafkaClientSettings();
            settings.Set("sasl.password", "pw-secret");
            Assert.AreEqual(expected, NLog.Targets.PyLog.Kafka.KafkaTransport.ClientLogText(message, settings));
            Assert.AreEqual("auth *** failed", NLog.Targets.PyLog.Kafka.KafkaTransport.ClientLogText(" auth pw-secret failed\n", settings));
        }

        [TestMethod]
        public void Librdkafka_debug_output_writes_no_empty_internal_log_lines()
        {
            using var cluster = KafkaMockCluster.Start(1);
            using var capture = new InternalLogCapture(LogLevel.Debug);
            using (var factory = TestLogFactory.FromXml(
                "<nlog throwConfigExceptions='true'><targets>" +
                $"<target type='Kafka' name='k' bootstrapServers='{cluster.BootstrapServers}' topic='debug-lines' lingerMilliseconds='5'>" +
                "<producerConfig name='debug' value='broker,topic,msg,protocol' /></target></targets>" +
                "<rules><logger name='*' minlevel='Trace' writeTo='k' /></rules></nlog>"))
            {
                factory.GetLogger("k").Info("one");
                factory.Flush(TimeSpan.FromSeconds(10));
                factory.Shutdown();
            }

            var librdkafka = capture.Lines.Where(l => l.Contains("librdkafka", StringComparison.Ordinal)).ToList();
            Assert.IsTrue(librdkafka.Count > 0, "librdkafka's debug output reached the internal log:\n" + capture.All);
            var empty = librdkafka.Where(l => Regex.IsMatch(l, @"librdkafka [^:]*:\s*$") || l.Contains("\n", StringComparison.Ordinal)).ToList();
            Assert.AreEqual(0, empty.Count, "empty or multi-line: " + string.Join(" || ", empty));
        }
    }
}
