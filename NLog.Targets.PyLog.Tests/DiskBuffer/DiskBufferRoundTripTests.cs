using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Layouts;
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
            var wrapped = new ReportingTestTarget { Name = "wrapped", Layouts = layouts };
            var (factory, _) = DiskBufferTestKit.Create(wrapped, folder.Path);
            var logger = factory.GetLogger("Orders.Service");

            var expected = new List<string[]>();
            void Log(LogEventInfo logEvent)
            {
                // Rendered on the logging thread, with its scope, before the event is buffered.
                expected.Add(layouts.Select(l => l.Render(logEvent)).ToArray());
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
            }
            StringAssert.Contains(actual[0][2], "outer problem");
            StringAssert.Contains(actual[0][2], "inner problem");
            StringAssert.Contains(actual[0][2], "|42.5|scoped-value");
        }
    }
}
