using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Common;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Sls
{
    /// <summary>The sample config works; bad configuration fails at load naming the property; secrets never show.</summary>
    [TestClass]
    public sealed class SlsConfigurationTests
    {
        private static string Xml(string attributes, string body = "")
        {
            return "<nlog throwConfigExceptions='true' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'><targets><target xsi:type='AliyunSls' name='sls' "
                + attributes + ">" + body + "</target></targets><rules><logger name='*' writeTo='sls' /></rules></nlog>";
        }

        private const string Complete = "endpoint='http://127.0.0.1:1' project='p' logstore='s' accessKeyId='id' accessKeySecret='secret' compression='deflate'";

        [TestMethod]
        public void Sample_config_loads_and_delivers()
        {
            using var emulator = new SlsEmulator("my-project", "app-log", "sample-id", "sample-secret");
            string xml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "aliyun-sls.config"));
            xml = xml.Replace("https://cn-hangzhou.log.aliyuncs.com", emulator.Endpoint)
                .Replace("${environment:ALIYUN_ACCESS_KEY_ID}", "sample-id")
                .Replace("${environment:ALIYUN_ACCESS_KEY_SECRET}", "sample-secret");
            Assert.IsTrue(xml.Contains(emulator.Endpoint, StringComparison.Ordinal), "the sample's endpoint was substituted");

            using (var factory = TestLogFactory.FromXml(xml))
            {
                var logger = factory.GetLogger("Checkout.Cart");
                using (logger.PushScopeProperty("TraceId", "trace-42"))
                    logger.Info("cart {0} paid", 7);
                logger.Debug("below the rule's level");
                logger.Error(new TimeoutException("payment gateway"), "payment failed");
                factory.Flush(TimeSpan.FromSeconds(10));
            }

            var logs = emulator.Logs;
            Assert.AreEqual(2, logs.Count);
            var paid = logs.Single(l => l["message"] == "cart 7 paid");
            Assert.AreEqual("Info", paid["level"]);
            Assert.AreEqual("Checkout.Cart", paid["logger"]);
            Assert.AreEqual("trace-42", paid["traceId"]);
            Assert.AreEqual("checkout", paid.Topic);
            Assert.AreEqual("checkout-api", paid.Tags.Single(t => t.Key == "service").Value);
            Assert.AreEqual(Environment.MachineName, paid.Tags.Single(t => t.Key == "host").Value);
            StringAssert.Contains(logs.Single(l => l["level"] == "Error")["exception"], "payment gateway");
            Assert.IsTrue(emulator.Requests.All(r => r.Headers["x-log-compresstype"] == "lz4"));
        }

        [TestMethod]
        [DataRow("endpoint", "Endpoint")]
        [DataRow("project", "Project")]
        [DataRow("logstore", "Logstore")]
        [DataRow("accessKeyId", "AccessKeyId")]
        [DataRow("accessKeySecret", "AccessKeySecret")]
        public void Missing_required_option_fails_at_load_naming_it(string attribute, string property)
        {
            string attributes = Regex.Replace(Complete, attribute + "='[^']*'", string.Empty);
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(Xml(attributes)).Dispose());
            StringAssert.Contains(Flatten(ex), property);
        }

        [TestMethod]
        [DataRow("compression='zstd'", "Compression")]
        [DataRow("endpoint='ftp://host'", "Endpoint")]
        [DataRow("endpoint='https://host/path'", "Endpoint")]
        [DataRow("project='my project'", "Project")]
        [DataRow("requestTimeoutMilliseconds='0'", "RequestTimeoutMilliseconds")]
        public void Bad_option_fails_at_load_naming_it(string replacement, string property)
        {
            string name = replacement.Substring(0, replacement.IndexOf('='));
            string attributes = Regex.Replace(Complete, name + "='[^']*'", string.Empty) + " " + replacement;
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(Xml(attributes)).Dispose());
            StringAssert.Contains(Flatten(ex), property);
        }

        [TestMethod]
        public void Content_without_a_name_fails_at_load()
        {
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(Xml(Complete, "<content layout='${message}' />")).Dispose());
            StringAssert.Contains(Flatten(ex), "Contents");
        }

        [TestMethod]
        public void Secrets_never_reach_tostring_internal_log_or_exceptions()
        {
            const string secret = "S3cr3t-Never-Logged";
            const string token = "T0ken-Never-Logged";
            const string name = "sls-secret";
            using var metrics = new MetricCollector(name);
            using var emulator = new SlsEmulator(accessKeySecret: "the-right-secret");
            var internalLog = new StringWriter();
            var previousWriter = InternalLogger.LogWriter;
            var previousLevel = InternalLogger.LogLevel;
            InternalLogger.LogWriter = internalLog;
            InternalLogger.LogLevel = LogLevel.Trace;
            Exception? dropError = null;
            string described;
            try
            {
                string xml = Xml("endpoint='" + emulator.Endpoint + "' project='test-project' logstore='test-logstore' accessKeyId='test-key-id' accessKeySecret='" + secret
                    + "' securityToken='" + token + "' compression='deflate' lingerMilliseconds='10'").Replace("name='sls'", "name='" + name + "'").Replace("writeTo='sls'", "writeTo='" + name + "'");
                using (var factory = TestLogFactory.FromXml(xml))
                {
                    var target = factory.Configuration!.FindTargetByName<SlsTarget>(name)!;
                    target.EventDropped += (_, e) => dropError = e.Exception;
                    described = target.ToString() + " " + target.Client;
                    factory.GetLogger("t").Info("signed with the wrong secret");
                    factory.Flush(TimeSpan.FromSeconds(10));
                }
            }
            finally
            {
                InternalLogger.LogWriter = previousWriter;
                InternalLogger.LogLevel = previousLevel;
            }

            Assert.AreEqual(1, metrics.Sum(PyLogMetrics.EventsDroppedName, ("reason", DropReasons.Rejected)), "SignatureNotMatch is fatal");
            Assert.AreEqual("SignatureNotMatch", ((SlsServiceException)dropError!).ErrorCode);
            string log = internalLog.ToString();
            StringAssert.Contains(log, "SignatureNotMatch", "the rejection was logged");
            foreach (var text in new[] { log, described, dropError.ToString() })
            {
                Assert.IsFalse(text.Contains(secret, StringComparison.Ordinal), "secret leaked: " + text);
                Assert.IsFalse(text.Contains(token, StringComparison.Ordinal), "token leaked: " + text);
            }
        }

        [TestMethod]
        public void Secret_can_come_from_the_environment()
        {
            using var emulator = new SlsEmulator(accessKeySecret: "from-the-environment");
            Environment.SetEnvironmentVariable("PYLOG_SLS_TEST_SECRET", "from-the-environment");
            try
            {
                string xml = Xml("endpoint='" + emulator.Endpoint + "' project='test-project' logstore='test-logstore' accessKeyId='test-key-id' "
                    + "accessKeySecret='${environment:PYLOG_SLS_TEST_SECRET}' compression='none' lingerMilliseconds='10'");
                using (var factory = TestLogFactory.FromXml(xml))
                {
                    factory.GetLogger("t").Info("signed with the environment's secret");
                    factory.Flush(TimeSpan.FromSeconds(10));
                }
            }
            finally
            {
                Environment.SetEnvironmentVariable("PYLOG_SLS_TEST_SECRET", null);
            }
            Assert.AreEqual("signed with the environment's secret", emulator.Logs.Single()["message"]);
        }

        private static string Flatten(Exception ex)
        {
            string text = string.Empty;
            for (Exception? e = ex; e != null; e = e.InnerException)
                text += e.Message + " | ";
            return text;
        }
    }
}
