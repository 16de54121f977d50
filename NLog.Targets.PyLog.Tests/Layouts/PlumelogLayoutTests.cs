using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Redis;

namespace NLog.Targets.PyLog.Tests.Layouts
{
    [TestClass]
    public sealed class PlumelogLayoutTests
    {
        private static readonly string[] s_fieldNames =
        {
            "appName", "env", "appNameWithEnv", "serverName", "traceId", "method", "className",
            "threadName", "logLevel", "content", "dtTime", "dateTime", "seq",
        };

        [TestMethod]
        public void Record_has_every_RunLogMessage_field_with_the_json_type_fastjson_binds()
        {
            var layout = new PlumelogLayout { AppName = "orders", Env = "prod" };
            var logEvent = LogEventInfo.Create(LogLevel.Info, "Shop.Orders", CultureInfo.InvariantCulture, "Order {Id} placed", new object[] { 42 });
            logEvent.TimeStamp = new DateTime(2024, 3, 5, 14, 7, 9, 123, DateTimeKind.Local);

            string json;
            using (ScopeContext.PushProperty("TraceId", "trace-1"))
            {
                layout.Precalculate(logEvent);
                json = layout.Render(logEvent);
            }

            var root = PlumelogServerView.ParseRecord(json);
            var names = new List<string>();
            foreach (var property in root.EnumerateObject())
                names.Add(property.Name);
            CollectionAssert.AreEqual(new List<string>(s_fieldNames) { "Id" }, names, "field names and order, the event property last: " + json);
            Assert.AreEqual("42", root.GetProperty("Id").GetString());

            Assert.AreEqual("orders", root.GetProperty("appName").GetString());
            Assert.AreEqual("prod", root.GetProperty("env").GetString());
            Assert.AreEqual("orders-_-prod", root.GetProperty("appNameWithEnv").GetString());
            Assert.IsFalse(string.IsNullOrEmpty(root.GetProperty("serverName").GetString()));
            Assert.IsTrue(System.Net.IPAddress.TryParse(root.GetProperty("serverName").GetString(), out _), "serverName is an IP address");
            Assert.AreEqual("trace-1", root.GetProperty("traceId").GetString());
            Assert.AreEqual(CurrentThreadName(), root.GetProperty("method").GetString(), "method is the thread name, as the Java appenders write it");
            Assert.AreEqual("Shop.Orders", root.GetProperty("className").GetString());
            Assert.AreEqual(CurrentThreadName(), root.GetProperty("threadName").GetString());
            Assert.AreEqual("INFO", root.GetProperty("logLevel").GetString());
            Assert.AreEqual("Order 42 placed", root.GetProperty("content").GetString());
            Assert.AreEqual(JsonValueKind.Number, root.GetProperty("dtTime").ValueKind);
            Assert.AreEqual(new DateTimeOffset(logEvent.TimeStamp).ToUnixTimeMilliseconds(), root.GetProperty("dtTime").GetInt64());
            Assert.AreEqual("2024-03-05 14:07:09.123", root.GetProperty("dateTime").GetString());
            Assert.AreEqual(JsonValueKind.Number, root.GetProperty("seq").ValueKind);
            Assert.IsTrue(root.GetProperty("seq").GetInt64() > 0);
            Assert.AreEqual(json, layout.Render(logEvent), "seq is fixed once taken for an event");
        }

        [TestMethod]
        public void UtcTimestamp_DateTimeIsLocal_DtTimeIsEpoch()
        {
            var layout = new PlumelogLayout();
            var utc = new DateTime(2024, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);
            var logEvent = new LogEventInfo(LogLevel.Info, "L", "m") { TimeStamp = utc };

            using var document = JsonDocument.Parse(layout.Render(logEvent));
            Assert.AreEqual(new DateTimeOffset(utc).ToUnixTimeMilliseconds(), document.RootElement.GetProperty("dtTime").GetInt64());
            Assert.AreEqual(utc.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture), document.RootElement.GetProperty("dateTime").GetString());
        }

        [TestMethod]
        public void Missing_trace_id_is_an_empty_string_and_method_is_never_empty()
        {
            var layout = new PlumelogLayout();
            var logEvent = new LogEventInfo(LogLevel.Debug, "L", "m");

            var root = PlumelogServerView.ParseRecord(layout.Render(logEvent));
            Assert.AreEqual(CurrentThreadName(), root.GetProperty("method").GetString());
            Assert.AreEqual(string.Empty, root.GetProperty("traceId").GetString());
        }

        [TestMethod]
        public void TraceId_EventPropertyWinsOverScope_AndNameIsConfigurable()
        {
            var logEvent = new LogEventInfo(LogLevel.Info, "L", "m");
            logEvent.Properties["TraceId"] = "from-event";
            using (ScopeContext.PushProperty("TraceId", "from-scope"))
            using (ScopeContext.PushProperty("RequestId", "req-7"))
            {
                Assert.AreEqual("from-event", Field(new PlumelogLayout(), logEvent, "traceId"));
                Assert.AreEqual("req-7", Field(new PlumelogLayout { TraceIdProperty = "RequestId" }, new LogEventInfo(LogLevel.Info, "L", "m"), "traceId"));
            }
        }

        [TestMethod]
        public void AppNameAndEnv_FromEnvironmentVariables_ByDefault()
        {
            Environment.SetEnvironmentVariable("PLUMELOG_APP_NAME", "env-app");
            Environment.SetEnvironmentVariable("PLUMELOG_ENV", "staging");
            try
            {
                var layout = new PlumelogLayout();
                var logEvent = new LogEventInfo(LogLevel.Info, "L", "m");
                Assert.AreEqual("env-app", Field(layout, logEvent, "appName"));
                Assert.AreEqual("staging", Field(layout, logEvent, "env"));
            }
            finally
            {
                Environment.SetEnvironmentVariable("PLUMELOG_APP_NAME", null);
                Environment.SetEnvironmentVariable("PLUMELOG_ENV", null);
            }

            var fallback = new PlumelogLayout();
            Assert.AreEqual("default", Field(fallback, new LogEventInfo(LogLevel.Info, "L", "m"), "appName"));
            Assert.AreEqual("default", Field(fallback, new LogEventInfo(LogLevel.Info, "L", "m"), "env"), "env defaults to 'default', as Plumelog's Java appenders");
            Assert.AreEqual("default-_-default", Field(fallback, new LogEventInfo(LogLevel.Info, "L", "m"), "appNameWithEnv"));
        }

        [TestMethod]
        public void Log_level_is_upper_case_and_fatal_is_written_as_error_unless_FatalAsError_is_off()
        {
            var layout = new PlumelogLayout();
            var expected = new Dictionary<LogLevel, string>
            {
                [LogLevel.Trace] = "TRACE",
                [LogLevel.Debug] = "DEBUG",
                [LogLevel.Info] = "INFO",
                [LogLevel.Warn] = "WARN",
                [LogLevel.Error] = "ERROR",
                [LogLevel.Fatal] = "ERROR",
            };
            foreach (var pair in expected)
                Assert.AreEqual(pair.Value, Field(layout, new LogEventInfo(pair.Key, "L", "m"), "logLevel"));
            Assert.AreEqual("FATAL", Field(new PlumelogLayout { FatalAsError = false }, new LogEventInfo(LogLevel.Fatal, "L", "m"), "logLevel"));
        }

        [TestMethod]
        public void ErrorWithException_ContentIsMessageNewlineException()
        {
            var layout = new PlumelogLayout();
            Exception exception;
            try
            {
                throw new InvalidOperationException("boom");
            }
            catch (InvalidOperationException ex)
            {
                exception = ex;
            }
            var logEvent = LogEventInfo.Create(LogLevel.Error, "L", exception, CultureInfo.InvariantCulture, "Payment failed");

            string content = Field(layout, logEvent, "content");
            Assert.AreEqual("Payment failed\n" + exception, content);
            StringAssert.Contains(content, "System.InvalidOperationException: boom");
            StringAssert.Contains(content, nameof(ErrorWithException_ContentIsMessageNewlineException), "stack trace included");
        }

        [TestMethod]
        public void Seq_IsMonotonicPerThread_AndUniqueAcrossThreads()
        {
            var layout = new PlumelogLayout();
            const int threads = 4;
            const int perThread = 2000;
            var seqs = new long[threads][];
            var workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                int index = t;
                workers[t] = new Thread(() =>
                {
                    var values = new long[perThread];
                    var buffer = new ArrayBufferWriter<byte>();
                    for (int i = 0; i < perThread; i++)
                    {
                        var logEvent = new LogEventInfo(LogLevel.Info, "L", "m");
                        layout.Precalculate(logEvent);
                        buffer.ResetWrittenCount();
                        layout.RenderUtf8(logEvent, buffer);
                        using var document = JsonDocument.Parse(buffer.WrittenMemory);
                        values[i] = document.RootElement.GetProperty("seq").GetInt64();
                    }
                    seqs[index] = values;
                });
                workers[t].Start();
            }
            foreach (var worker in workers)
                worker.Join();

            var all = new HashSet<long>();
            foreach (var values in seqs)
            {
                for (int i = 0; i < values.Length; i++)
                {
                    Assert.IsTrue(all.Add(values[i]), "seq is unique: " + values[i]);
                    if (i > 0)
                        Assert.IsTrue(values[i] > values[i - 1], "seq increases within a thread");
                }
            }
            Assert.AreEqual(threads * perThread, all.Count);
        }

        [TestMethod]
        public void Render_EqualsRenderUtf8_ForTrickyText()
        {
            var layout = new PlumelogLayout { AppName = "app \"q\"", Env = "环境" };
            var messages = new[]
            {
                "plain",
                "quotes \" and \\ backslash",
                "control \t\r\n\u0001 chars",
                "中文日志 and emoji \U0001F600",
                "<html> & 'single'",
                new string('x', 5000),
            };
            foreach (var message in messages)
            {
                var logEvent = new LogEventInfo(LogLevel.Warn, "Logger.Name", message);
                logEvent.Properties["TraceId"] = "t\"1";
                var buffer = new ArrayBufferWriter<byte>();
                layout.RenderUtf8(logEvent, buffer);
                string viaString = layout.Render(logEvent);
                Assert.AreEqual(viaString, Encoding.UTF8.GetString(buffer.WrittenSpan));

                using var document = JsonDocument.Parse(viaString);
                Assert.AreEqual(message, document.RootElement.GetProperty("content").GetString());
                Assert.AreEqual("app \"q\"", document.RootElement.GetProperty("appName").GetString());
            }

            // Non-ASCII stays readable (not \uXXXX) so the Plumelog UI shows it as written.
            StringAssert.Contains(layout.Render(new LogEventInfo(LogLevel.Info, "L", "中文")), "中文");
        }

        [TestMethod]
        public void ThreadName_IsTheNameOrManagedId_CapturedOnTheLoggingThread()
        {
            var layout = new PlumelogLayout();
            var named = new LogEventInfo(LogLevel.Info, "L", "m");
            var unnamed = new LogEventInfo(LogLevel.Info, "L", "m");
            int unnamedId = 0;
            var worker = new Thread(() => layout.Precalculate(named)) { Name = "worker-7" };
            worker.Start();
            worker.Join();
            var anonymous = new Thread(() =>
            {
                unnamedId = Environment.CurrentManagedThreadId;
                layout.Precalculate(unnamed);
            });
            anonymous.Start();
            anonymous.Join();

            Assert.AreEqual("worker-7", Field(layout, named, "threadName"));
            Assert.AreEqual(unnamedId.ToString(CultureInfo.InvariantCulture), Field(layout, unnamed, "threadName"));
        }

        [TestMethod]
        public void Layout_LoadsFromXml_ByItsName()
        {
            var factory = new LogFactory().Setup()
                .SetupExtensions(e => e.RegisterAssembly(typeof(PlumelogLayout).Assembly))
                .LoadConfigurationFromXml(@"<nlog throwConfigExceptions='true' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>
                    <targets>
                      <target xsi:type='Memory' name='m'>
                        <layout xsi:type='Plumelog' appName='xml-app' env='qa' />
                      </target>
                    </targets>
                    <rules><logger name='*' minlevel='Info' writeTo='m' /></rules>
                  </nlog>").LogFactory;
            try
            {
                factory.GetLogger("Xml.Logger").Warn("hello {0}", "xml");
                var memory = factory.Configuration!.FindTargetByName<NLog.Targets.MemoryTarget>("m")!;
                Assert.AreEqual(1, memory.Logs.Count);
                using var document = JsonDocument.Parse(memory.Logs[0]);
                Assert.AreEqual("xml-app", document.RootElement.GetProperty("appName").GetString());
                Assert.AreEqual("qa", document.RootElement.GetProperty("env").GetString());
                Assert.AreEqual("WARN", document.RootElement.GetProperty("logLevel").GetString());
                Assert.AreEqual("Xml.Logger", document.RootElement.GetProperty("className").GetString());
                Assert.AreEqual("hello xml", document.RootElement.GetProperty("content").GetString());
            }
            finally
            {
                factory.Shutdown();
            }
        }

        [TestMethod]
        public void IsAnIUtf8Layout_ForTheNetworkTargets()
        {
            Assert.IsInstanceOfType<IUtf8Layout>(new PlumelogLayout());
        }

        private static string Field(PlumelogLayout layout, LogEventInfo logEvent, string name)
        {
            using var document = JsonDocument.Parse(layout.Render(logEvent));
            return document.RootElement.GetProperty(name).GetString()!;
        }

        private static string CurrentThreadName()
            => Thread.CurrentThread.Name ?? Environment.CurrentManagedThreadId.ToString(CultureInfo.InvariantCulture);
    }
}
