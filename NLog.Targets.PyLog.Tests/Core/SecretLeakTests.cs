using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Config;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Core
{
    /// <summary>
    /// Every secret option of every target, given literally or as <c>${environment:NAME}</c>, at
    /// internal log level Trace, against a server that is not there and one that refuses: the
    /// secret appears in no internal log line, no exception text and no <c>ToString()</c>.
    /// </summary>
    [TestClass]
    public class SecretLeakTests
    {
        public enum Server
        {
            Unreachable,
            Refusing,
        }

        [TestMethod]
        [DataRow(false, Server.Unreachable)]
        [DataRow(true, Server.Unreachable)]
        [DataRow(false, Server.Refusing)]
        [DataRow(true, Server.Refusing)]
        public void Kafka_secrets_never_reach_the_internal_log_exceptions_or_ToString(bool fromEnvironment, Server server)
        {
            using var cluster = server == Server.Refusing ? KafkaMockCluster.Start(1) : null;
            string bootstrap = cluster?.BootstrapServers ?? "127.0.0.1:" + LoopbackPort.Closed();
            var secrets = new Secrets(fromEnvironment, "sasl-pw", "key-pw", "oauth-cfg");
            string xml = Nlog(
                $"<target type='Kafka' name='k' bootstrapServers='{bootstrap}' topic='t' lingerMilliseconds='5' closeTimeoutMilliseconds='1000' retryCount='1' retryDelayMilliseconds='10'>" +
                "<producerConfig name='security.protocol' value='SASL_PLAINTEXT' />" +
                "<producerConfig name='sasl.mechanism' value='PLAIN' />" +
                "<producerConfig name='sasl.username' value='alice' />" +
                $"<producerConfig name='sasl.password' value='{secrets.Configured(0)}' />" +
                $"<producerConfig name='ssl.key.password' value='{secrets.Configured(1)}' />" +
                $"<producerConfig name='sasl.oauthbearer.config' value='{secrets.Configured(2)}' />" +
                "<producerConfig name='message.timeout.ms' value='1500' />" +
                "<producerConfig name='debug' value='security,broker,protocol' />" +
                "</target>", "k");

            RunAndAssertNoLeak(xml, secrets);
        }

        [TestMethod]
        [DataRow(false, Server.Unreachable)]
        [DataRow(true, Server.Unreachable)]
        [DataRow(false, Server.Refusing)]
        [DataRow(true, Server.Refusing)]
        public void Redis_secrets_never_reach_the_internal_log_exceptions_or_ToString(bool fromEnvironment, Server server)
        {
            using var redis = server == Server.Refusing ? RedisServer.Start(password: "the-right-one") : null;
            string endpoint = redis?.Endpoint ?? "127.0.0.1:" + LoopbackPort.Closed();
            var secrets = new Secrets(fromEnvironment, "conn-pw", "prop-pw");
            string xml = Nlog(
                $"<target type='Redis' name='r' connectionString='{endpoint},password={secrets.Configured(0)},connectTimeout=500' timeoutMilliseconds='500' retryCount='1' />" +
                $"<target type='Redis' name='r2' host='127.0.0.1' port='{endpoint.Split(':')[1]}' password='{secrets.Configured(1)}' timeoutMilliseconds='500' retryCount='1' />",
                "r,r2");

            RunAndAssertNoLeak(xml, secrets);
        }

        [TestMethod]
        [DataRow(false, Server.Unreachable)]
        [DataRow(true, Server.Unreachable)]
        [DataRow(false, Server.Refusing)]
        [DataRow(true, Server.Refusing)]
        public void Sls_secrets_never_reach_the_internal_log_exceptions_or_ToString(bool fromEnvironment, Server server)
        {
            // The emulator knows another secret: every request fails its signature check (refused).
            using var emulator = server == Server.Refusing ? new SlsEmulator("p", "s", "id", "the-right-one") : null;
            string endpoint = emulator?.Endpoint ?? "http://127.0.0.1:" + LoopbackPort.Closed();
            var secrets = new Secrets(fromEnvironment, "access-secret", "sts-token");
            string xml = Nlog(
                $"<target type='AliyunSls' name='s' endpoint='{endpoint}' project='p' logstore='s' accessKeyId='id' " +
                $"accessKeySecret='{secrets.Configured(0)}' securityToken='{secrets.Configured(1)}' compression='deflate' " +
                "requestTimeoutMilliseconds='1000' retryCount='1' retryDelayMilliseconds='10' />", "s");

            RunAndAssertNoLeak(xml, secrets);
        }

        [TestMethod]
        [DataRow(false)]
        [DataRow(true)]
        public void Secrets_never_reach_the_configuration_error_of_an_invalid_target(bool fromEnvironment)
        {
            var secrets = new Secrets(fromEnvironment, "k-pw", "r-pw", "s-pw");
            var configurations = new[]
            {
                Nlog($"<target type='Kafka' name='k' bootstrapServers='127.0.0.1:1' topic='t'><producerConfig name='sasl.password' value='{secrets.Configured(0)}' /><producerConfig name='no.such.property' value='1' /></target>", "k"),
                Nlog($"<target type='Redis' name='r' connectionString='127.0.0.1:1,password={secrets.Configured(1)}' timeoutMilliseconds='-1' />", "r"),
                Nlog($"<target type='AliyunSls' name='s' endpoint='ftp://nowhere' project='p' logstore='s' accessKeyId='id' accessKeySecret='{secrets.Configured(2)}' />", "s"),
            };
            foreach (string xml in configurations)
            {
                using var capture = new InternalLogCapture(LogLevel.Trace);
                var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(xml).Dispose());
                secrets.AssertAbsent(capture.All + "\n" + ex);
            }
        }

        [TestMethod]
        [DataRow("<target type='Redis' name='t' host='127.0.0.1' password='pw-{0}${{machinename}}' />", "Password")]
        [DataRow("<target type='Redis' name='t' connectionString='127.0.0.1:1,password=pw-{0}${{guid}}' />", "ConnectionString")]
        [DataRow("<target type='AliyunSls' name='t' endpoint='http://127.0.0.1:1' project='p' logstore='s' accessKeyId='id' accessKeySecret='pw-{0}${{date}}' />", "AccessKeySecret")]
        [DataRow("<target type='Kafka' name='t' bootstrapServers='127.0.0.1:1' topic='t'><producerConfig name='sasl.password' value='pw-{0}${{environment:X:whenEmpty=y}}' /></target>", "ProducerConfig 'sasl.password'")]
        public void Secret_with_another_layout_renderer_fails_at_load_naming_the_option_not_the_value(string target, string property)
        {
            string marker = Guid.NewGuid().ToString("N").Substring(0, 8);
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(Nlog(string.Format(target, marker), "t")).Dispose());
            string text = ex.ToString();
            StringAssert.Contains(text, "'t': " + property + " may use only ${environment:NAME}");
            Assert.IsFalse(text.Contains(marker, StringComparison.Ordinal), text);
        }

        private static void RunAndAssertNoLeak(string xml, Secrets secrets)
        {
            var seen = new StringBuilder();
            using (var capture = new InternalLogCapture(LogLevel.Trace))
            {
                try
                {
                    LogFactory factory = TestLogFactory.FromXml(xml);
                    foreach (NLog.Targets.Target target in factory.Configuration!.AllTargets)
                    {
                        seen.Append(target).Append('\n');
                        AppendItems(seen, target);
                    }

                    Logger logger = factory.GetLogger("secret.test");
                    logger.Info("hello {User}", "alice");
                    logger.Error(new InvalidOperationException("boom"), "failed");
                    factory.Flush(TimeSpan.FromSeconds(3));
                    seen.Append(factory.Configuration).Append('\n');
                    factory.Shutdown();
                }
                catch (Exception ex)
                {
                    seen.Append(ex).Append('\n');
                }

                Assert.IsTrue(capture.Lines.Count > 10, "the internal log was captured at Trace:\n" + capture.All);
                seen.Append(capture.All);
            }

            secrets.AssertAbsent(seen.ToString());
        }

        private static void AppendItems(StringBuilder seen, object target)
        {
            foreach (var property in target.GetType().GetProperties())
            {
                if (property.GetIndexParameters().Length == 0 && property.GetValue(target) is System.Collections.IEnumerable items && items is not string)
                {
                    foreach (object? item in items)
                    {
                        seen.Append(item).Append('\n');
                    }
                }
            }
        }

        private static string Nlog(string targets, string writeTo)
        {
            return "<nlog throwConfigExceptions='true' internalLogLevel='Trace'><targets>" + targets + "</targets>" +
                $"<rules><logger name='*' minlevel='Trace' writeTo='{writeTo}' /></rules></nlog>";
        }


        /// <summary>Unique secret values, configured literally or through environment variables set for the test.</summary>
        private sealed class Secrets
        {
            private readonly bool _fromEnvironment;
            private readonly string[] _values;
            private readonly string[] _variables;

            public Secrets(bool fromEnvironment, params string[] names)
            {
                _fromEnvironment = fromEnvironment;
                string run = Guid.NewGuid().ToString("N").Substring(0, 10);
                _values = names.Select(n => "Zq" + n + "-" + run).ToArray();
                _variables = names.Select(n => "PYLOG_TEST_SECRET_" + n.Replace('-', '_').ToUpperInvariant() + "_" + run).ToArray();
                if (fromEnvironment)
                {
                    for (int i = 0; i < _values.Length; i++)
                        Environment.SetEnvironmentVariable(_variables[i], _values[i]);
                }
            }

            public string Configured(int index) => _fromEnvironment ? "${environment:" + _variables[index] + "}" : _values[index];

            public void AssertAbsent(string text)
            {
                var hits = new List<string>();
                foreach (string value in _values)
                {
                    int count = 0;
                    for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
                        count++;
                    if (count > 0)
                        hits.Add(value + " x" + count);
                }

                if (hits.Count > 0)
                {
                    string firstLine = text.Split('\n').First(l => _values.Any(v => l.Contains(v, StringComparison.Ordinal)));
                    Assert.Fail("secrets leaked: " + string.Join(", ", hits) + "; first: " + firstLine);
                }
            }
        }
    }
}
