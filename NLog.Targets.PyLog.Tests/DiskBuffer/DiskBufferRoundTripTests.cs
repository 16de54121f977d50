using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Layouts;
using NLog.Targets.PyLog.DiskBuffer;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.DiskBuffer
{
    /// <summary>What layouts render from an event read back from the buffer equals what they rendered at logging time.</summary>
    [TestClass]
    public sealed class DiskBufferRoundTripTests
    {
        private const string PipeLayout = "${longdate}|${level}|${logger}|${message}|${exception:format=tostring}|${event-properties:x}|${scopeproperty:y}";

        private static Layout[] Layouts() => new Layout[]
        {
            new PyLogJsonLayout(),
            new PlumelogLayout { AppName = "app", Env = "test" },
            Layout.FromString(PipeLayout),
            Layout.FromString("${message:raw=true}|${message}|${event-properties:OrderId}"),
        };

        // seq is Plumelog's process-wide counter, taken when the event is handed over (a new number per render).
        private static string WithoutSeq(string text) => Regex.Replace(text, "\"seq\":\\d+", "\"seq\":0");

        private static Exception Thrown()
        {
            try
            {
                try
                {
                    throw new ArgumentException("inner problem");
                }
                catch (Exception inner)
                {
                    throw new InvalidOperationException("outer problem", inner);
                }
            }
            catch (Exception ex)
            {
                return ex;
            }
        }

        [TestMethod]
        public void Replayed_event_renders_the_same_text_in_PyLogJson_Plumelog_and_a_pipe_layout()
        {
            using var folder = new FilesTempFolder();
            var layouts = Layouts();
            // Other instances for the expected text: a Plumelog layout caches its capture on the event per instance.
            var atLoggingTime = Layouts();
            var wrapped = new ReportingTestTarget { Name = "wrapped", Layouts = layouts };
            var (factory, _) = DiskBufferTestKit.Create(wrapped, folder.Path);
            var logger = factory.GetLogger("Orders.Service");

            var expected = new List<string[]>();
            void Log(LogEventInfo logEvent)
            {
                // Rendered on the logging thread, with its scope, before the event is buffered.
                expected.Add(atLoggingTime.Select(l => l.Render(logEvent)).ToArray());
                logger.Log(logEvent);
            }

            using (ScopeContext.PushProperty("y", "scoped-value"))
            using (ScopeContext.PushProperty("TraceId", "trace-42"))
            {
                var withException = LogEventInfo.Create(LogLevel.Error, logger.Name, Thrown(), null, "Order {OrderId} failed for {Customer}", new object[] { 1234, "Zoë" });
                withException.Properties["x"] = 42.5;
                withException.Properties["when"] = new DateTime(2024, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc);
                withException.Properties["id"] = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
                withException.Properties["cart"] = new { Items = 3, Total = 9.99m, Tags = new[] { "a", "b" } };
                Log(withException);

                var plain = new LogEventInfo(LogLevel.Info, logger.Name, "plain text with \"quotes\" and 中文");
                plain.Properties["x"] = "text-x";
                plain.Properties["flag"] = true;
                plain.Properties["big"] = long.MaxValue;
                Log(plain);
            }
            var outsideScope = new LogEventInfo(LogLevel.Warn, logger.Name, "outside scope {0}") { Parameters = new object[] { 7 } };
            Log(outsideScope);

            Poll.Until(() => wrapped.Rendered.Count == expected.Count, "the wrapped target received every event");
            factory.Shutdown();

            var actual = wrapped.Rendered;
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.AreEqual(expected[i][0], actual[i][0], "PyLogJson, event " + i);
                Assert.AreEqual(WithoutSeq(expected[i][1]), WithoutSeq(actual[i][1]), "Plumelog, event " + i);
                Assert.AreEqual(expected[i][2], actual[i][2], "pipe layout, event " + i);
                Assert.AreEqual(expected[i][3], actual[i][3], "template and formatted message, event " + i);
            }
            Assert.AreEqual("Order {OrderId} failed for {Customer}|Order 1234 failed for Zoë|1234", actual[0][3], "read back from disk (it holds an object)");
            StringAssert.Contains(actual[0][2], "outer problem");
            StringAssert.Contains(actual[0][2], "inner problem");
            StringAssert.Contains(actual[0][2], "|42.5|scoped-value");
        }

        [TestMethod]
        public void Thread_name_and_Plumelog_thread_render_as_on_the_logging_thread_from_memory_and_from_disk()
        {
            using var folder = new FilesTempFolder();
            Layout[] NewLayouts() => new Layout[] { Layout.FromString("[${threadname}] ${message}"), new PlumelogLayout { AppName = "app" } };
            var layouts = NewLayouts();
            // Other instances for the expected text: a Plumelog layout caches its capture on the event per instance.
            var atLoggingTime = NewLayouts();
            var wrapped = new ReportingTestTarget { Name = "wrapped", Layouts = layouts };
            var (factory, wrapper) = DiskBufferTestKit.Create(wrapped, folder.Path);
            var logger = factory.GetLogger("test");
            var expected = new List<string[]>();
            var sync = new object();

            // Named and unnamed threads take turns; every other event holds an object (read back from disk).
            var turn = new SemaphoreSlim[] { new SemaphoreSlim(1), new SemaphoreSlim(0), new SemaphoreSlim(0) };
            const int rounds = 20;
            var threads = new List<Thread>();
            for (int t = 0; t < 3; t++)
            {
                int me = t;
                var thread = new Thread(() =>
                {
                    for (int i = 0; i < rounds; i++)
                    {
                        turn[me].Wait();
                        var logEvent = new LogEventInfo(LogLevel.Info, "test", "event " + me + "/" + i);
                        if (i % 2 == 1)
                            logEvent.Properties["item"] = new Dictionary<string, object> { ["n"] = i };
                        lock (sync)
                            expected.Add(atLoggingTime.Select(l => l.Render(logEvent)).ToArray());
                        logger.Log(logEvent);
                        turn[(me + 1) % 3].Release();
                    }
                });
                if (t < 2)
                    thread.Name = "worker-" + (char)('A' + t);
                threads.Add(thread);
            }
            threads.ForEach(t => t.Start());
            threads.ForEach(t => Assert.IsTrue(t.Join(TimeSpan.FromSeconds(30)), "a logging thread finished"));
            factory.Flush(TimeSpan.FromSeconds(10));
            var (fromWindow, fromDisk) = wrapper.HandOverSources;
            factory.Shutdown();
            Assert.IsTrue(fromWindow > 0 && fromDisk > 0, "both paths were taken: " + fromWindow + " from memory, " + fromDisk + " from disk");

            var actual = wrapped.Rendered;
            Assert.AreEqual(3 * rounds, actual.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.AreEqual(expected[i][0], actual[i][0], "${threadname}, event " + i);
                Assert.AreEqual(WithoutSeq(expected[i][1]), WithoutSeq(actual[i][1]), "Plumelog, event " + i);
            }
            StringAssert.StartsWith(actual[0][0], "[worker-A] ");
            StringAssert.StartsWith(actual[2][0], "[] ", "an unnamed thread has no name on replay either");
            StringAssert.Contains(actual[2][1], "\"threadName\":\"" + threads[2].ManagedThreadId + "\"", "Plumelog shows the unnamed thread's id (handed over from memory)");
            StringAssert.Contains(actual[5][1], "\"threadName\":\"" + threads[2].ManagedThreadId + "\"", "also for an event read back from disk");
        }

        [TestMethod]
        public void A_record_of_the_first_format_reads_back_with_its_single_thread_field_as_the_name()
        {
            var payload = new PayloadWriter();
            payload.WriteByte(1); // version 1
            payload.WriteInt64(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc).Ticks);
            payload.WriteByte((byte)DateTimeKind.Utc);
            payload.WriteByte((byte)LogLevel.Warn.Ordinal);
            payload.WriteString("old.logger");
            payload.WriteString("written by the first format");
            payload.WriteString(null); // template
            payload.WriteVarint(0); // parameters
            payload.WriteVarint(0); // event properties
            payload.WriteVarint(0); // scope properties
            payload.WriteByte(0); // exception
            payload.WriteString("17"); // thread: name or managed id
            payload.WriteByte(0); // call site

            var read = EventSerializer.Read(payload.Written);

            Assert.AreEqual("written by the first format", read.LogEvent.FormattedMessage);
            Assert.AreEqual(LogLevel.Warn, read.LogEvent.Level);
            Assert.AreEqual("17", read.Thread.Name);
            Assert.IsNull(read.Thread.ManagedId);
        }

        [TestMethod]
        public void Message_read_back_from_disk_keeps_the_text_formatted_at_logging_time_and_its_parameters()
        {
            using var folder = new FilesTempFolder();
            var layout = Layout.FromString("${message}|${message:raw=true}");
            var wrapped = new ReportingTestTarget { Name = "wrapped", Layouts = new[] { layout } };
            var (factory, _) = DiskBufferTestKit.Create(wrapped, folder.Path);
            var logger = factory.GetLogger("test");
            var culture = System.Globalization.CultureInfo.CurrentCulture;
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            try
            {
                var logEvent = new LogEventInfo(LogLevel.Info, "test", "price {0}") { Parameters = new object[] { 1.5 } };
                // Holds an object: read back from disk, formatted again nowhere.
                logEvent.Properties["cart"] = new List<string> { "apple" };
                logger.Log(logEvent);
                var preformatted = new LogEventInfo(LogLevel.Info, "test", "Order 42 shipped", "Order {OrderId} shipped", new[] { new NLog.MessageTemplates.MessageTemplateParameter("OrderId", 42, null, NLog.MessageTemplates.CaptureType.Normal) });
                preformatted.Properties["cart"] = new List<string> { "pear" };
                logger.Log(preformatted);
            }
            finally
            {
                System.Globalization.CultureInfo.CurrentCulture = culture;
            }
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            var received = wrapped.Received;
            Assert.AreEqual(2, received.Count);
            Assert.AreEqual("price 1,5|price {0}", wrapped.Rendered[0][0], "the German text of the logging thread, not the replay thread's culture");
            CollectionAssert.AreEqual(new object[] { 1.5 }, received[0].Parameters);
            Assert.AreEqual("Order 42 shipped|Order {OrderId} shipped", wrapped.Rendered[1][0], "a pre-formatted event (as Microsoft.Extensions.Logging logs them) keeps its text");
        }

        [TestMethod]
        public void A_buffer_inside_a_buffer_keeps_the_logging_threads_id_for_Plumelog()
        {
            using var outerFolder = new FilesTempFolder();
            using var innerFolder = new FilesTempFolder();
            var wrapped = new ReportingTestTarget { Name = "wrapped", Layouts = new Layout[] { new PlumelogLayout { AppName = "app" } } };
            var inner = new DiskBufferTargetWrapper("inner", wrapped, innerFolder.Path) { FlushIntervalMilliseconds = 20 };
            var (factory, _) = DiskBufferTestKit.Create(inner, outerFolder.Path, name: "outer");
            var logger = factory.GetLogger("test");
            int loggingThreadId = 0;
            var thread = new Thread(() =>
            {
                loggingThreadId = Environment.CurrentManagedThreadId;
                logger.Info("from memory");
                var holding = new LogEventInfo(LogLevel.Info, "test", "from disk");
                holding.Properties["cart"] = new List<string> { "apple" };
                logger.Log(holding);
            });
            thread.Start();
            Assert.IsTrue(thread.Join(TimeSpan.FromSeconds(30)));
            Poll.Until(() => wrapped.Rendered.Count == 2, "both events went through both buffers");
            factory.Shutdown();

            foreach (var rendered in wrapped.Rendered)
                StringAssert.Contains(rendered[0], "\"threadName\":\"" + loggingThreadId + "\"", "the unnamed logging thread's id, not a replay thread's");
        }
    }
}
