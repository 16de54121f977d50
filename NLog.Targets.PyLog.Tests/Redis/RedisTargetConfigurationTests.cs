using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Redis
{
    /// <summary>Bad configuration fails when loading, naming the property and never echoing a password.</summary>
    [TestClass]
    public sealed class RedisTargetConfigurationTests
    {
        [TestMethod]
        [DataRow("", "Host or ConnectionString")]
        [DataRow("host='127.0.0.1' port='0'", "Port")]
        [DataRow("host='127.0.0.1' port='70000'", "Port")]
        [DataRow("host='127.0.0.1' dataType='Queue'", "DataType")]
        [DataRow("host='127.0.0.1' dataType='Stream' maxLength='-5'", "MaxLength")]
        [DataRow("host='127.0.0.1' database='-2'", "Database")]
        [DataRow("host='127.0.0.1' timeoutMilliseconds='0'", "TimeoutMilliseconds")]
        [DataRow("host='127.0.0.1' sslCaCertificateFile='/no/such/ca.pem'", "SslCaCertificateFile")]
        [DataRow("connectionString='127.0.0.1:6379,bogusKeyword=1,password=hunter2'", "ConnectionString")]
        [DataRow("connectionString='password=hunter2'", "ConnectionString")]
        [DataRow("host='127.0.0.1' password='${machinename}'", "Password")]
        [DataRow("host='127.0.0.1' compressor='true' dataType='Stream'", "Compressor")]
        public void InvalidConfiguration_FailsAtLoad_NamingTheProperty(string attributes, string property)
        {
            string xml = "<nlog throwConfigExceptions='true' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>"
                + "<targets><target xsi:type='Redis' name='r' " + attributes + " /></targets>"
                + "<rules><logger name='*' minlevel='Info' writeTo='r' /></rules></nlog>";

            var exception = Assert.ThrowsExactly<NLogConfigurationException>(() =>
            {
                var factory = TestLogFactory.FromXml(xml);
                factory.Shutdown();
            });
            string message = FullMessage(exception);
            StringAssert.Contains(message, property);
            Assert.IsFalse(message.Contains("hunter2", StringComparison.Ordinal), "no password in the error: " + message);
        }

        [TestMethod]
        public void Defaults_ArePlumelogCompatible()
        {
            var target = new RedisTarget();
            Assert.AreEqual("plume_log_list", target.Key.ToString());
            Assert.AreEqual(RedisDataType.List, target.DataType);
            Assert.IsInstanceOfType<PlumelogLayout>(target.Layout is PlumelogLayout ? target.Layout : NLog.Targets.PyLog.Core.Utf8LayoutRenderer.Unwrap(target.Layout));
            Assert.AreEqual(6379, target.Port);
            Assert.AreEqual(500, target.BatchSize);
            Assert.IsFalse(target.Compressor, "Plumelog's compressor is off unless asked for");
        }

        private static string FullMessage(Exception exception)
        {
            string message = string.Empty;
            for (var e = exception; e != null; e = e.InnerException)
                message += e.Message + " | ";
            return message;
        }
    }
}
