using System.Collections.Generic;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Layouts;
using static NLog.Targets.PyLog.Tests.Layouts.PyLogJsonTestSupport;

namespace NLog.Targets.PyLog.Tests.Layouts
{
    [TestClass]
    public class PyLogJsonAttributeAndScopeTests
    {
        [TestMethod]
        public void CustomAttributes_AreWrittenAfterFixedFields_FixedAndDynamic()
        {
            var layout = new PyLogJsonLayout();
            layout.Attributes.Add(new PyLogJsonAttribute("app", "demo"));
            layout.Attributes.Add(new PyLogJsonAttribute("user", "${event-properties:user}"));
            layout.Attributes.Add(new PyLogJsonAttribute("missing", "${event-properties:nope}"));
            layout.Attributes.Add(new PyLogJsonAttribute("emptyKept", "${event-properties:nope}") { IncludeEmptyValue = true });
            LogEventInfo logEvent = Event();
            logEvent.Properties["user"] = "ann \"quoted\"\n";

            JsonElement json = RenderAndParse(layout, logEvent);

            Assert.AreEqual("demo", json.Str("app"));
            Assert.AreEqual("ann \"quoted\"\n", json.Str("user"));
            Assert.IsFalse(json.Has("missing"));
            Assert.AreEqual(string.Empty, json.Str("emptyKept"));
            var names = new List<string>();
            foreach (JsonProperty property in json.EnumerateObject())
            {
                names.Add(property.Name);
            }

            CollectionAssert.AreEqual(new[] { "time", "level", "logger", "message", "app", "user", "emptyKept", "_user" }, names);
        }

        [TestMethod]
        public void EncodeFalse_InsertsValidRawJson_AndFallsBackToAStringOtherwise()
        {
            var layout = new PyLogJsonLayout { IncludeEventProperties = false };
            layout.Attributes.Add(new PyLogJsonAttribute("number", "${event-properties:n}") { Encode = false });
            layout.Attributes.Add(new PyLogJsonAttribute("object", "{ \"a\": [1, 2],\n \"b\": null }") { Encode = false });
            layout.Attributes.Add(new PyLogJsonAttribute("broken", "{\"a\":") { Encode = false });
            layout.Attributes.Add(new PyLogJsonAttribute("twoValues", "1 2") { Encode = false });
            layout.Attributes.Add(new PyLogJsonAttribute("dynamicBroken", "${event-properties:bad}") { Encode = false });
            LogEventInfo logEvent = Event();
            logEvent.Properties["n"] = 12.5;
            logEvent.Properties["bad"] = "not json\n";

            JsonElement json = RenderAndParse(layout, logEvent);

            Assert.AreEqual(12.5, json.GetProperty("number").GetDouble());
            Assert.AreEqual(2, json.GetProperty("object").GetProperty("a").GetArrayLength());
            Assert.AreEqual("{\"a\":", json.Str("broken"));
            Assert.AreEqual("1 2", json.Str("twoValues"));
            Assert.AreEqual("not json\n", json.Str("dynamicBroken"));
        }

        [TestMethod]
        public void NestedPyLogJsonLayout_InARawAttribute_RendersOnTheSameThread()
        {
            var inner = new PyLogJsonLayout { IncludeScopeProperties = false };
            var outer = new PyLogJsonLayout { IncludeEventProperties = false };
            outer.Attributes.Add(new PyLogJsonAttribute("copy", inner) { Encode = false });
            LogEventInfo logEvent = Event("nested");
            logEvent.Properties["p"] = 1;

            JsonElement json = RenderAndParse(outer, logEvent);

            Assert.AreEqual("nested", json.Str("message"));
            Assert.AreEqual("nested", json.GetProperty("copy").Str("message"));
            Assert.AreEqual(1, json.GetProperty("copy").GetProperty("p").GetInt32());
            Assert.IsFalse(json.Has("p"));
        }

        [TestMethod]
        public void ScopeProperties_AreWritten_EventPropertyWinsOnSameName()
        {
            var layout = new PyLogJsonLayout();
            LogEventInfo logEvent = Event();
            logEvent.Properties["shared"] = "event";
            using (ScopeContext.PushProperty("TraceId", "t-1"))
            using (ScopeContext.PushProperty("shared", "scope"))
            using (ScopeContext.PushProperty("count", 3))
            {
                JsonElement json = RenderAndParse(layout, logEvent);
                Assert.AreEqual("t-1", json.Str("TraceId"));
                Assert.AreEqual(3, json.GetProperty("count").GetInt32());
                Assert.AreEqual("event", json.Str("shared"));

                JsonElement without = RenderAndParse(new PyLogJsonLayout { IncludeScopeProperties = false }, logEvent);
                Assert.IsFalse(without.Has("TraceId"));
            }

            Assert.IsFalse(RenderAndParse(layout, logEvent).Has("TraceId"), "scope popped");
        }

        [TestMethod]
        public void Precalculate_CapturesScopeOnTheLoggingThread_ForRenderingOnAnother()
        {
            var layout = new PyLogJsonLayout();
            layout.Attributes.Add(new PyLogJsonAttribute("thread", "${threadid}"));
            LogEventInfo logEvent = Event();
            string loggingThread = System.Environment.CurrentManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using (ScopeContext.PushProperty("RequestId", "r-9"))
            {
                layout.Precalculate(logEvent);
            }

            string rendered = OnThreadWithoutScope(() => layout.Render(logEvent));
            byte[] bytes = OnThreadWithoutScope(() => RenderBytes(layout, logEvent));

            CollectionAssert.AreEqual(System.Text.Encoding.UTF8.GetBytes(rendered), bytes);
            using JsonDocument document = JsonDocument.Parse(bytes);
            Assert.AreEqual("r-9", document.RootElement.Str("RequestId"));
            Assert.AreEqual(loggingThread, document.RootElement.Str("thread"));

            LogEventInfo notPrecalculated = Event();
            using (ScopeContext.PushProperty("RequestId", "r-9"))
            {
                string elsewhere = OnThreadWithoutScope(() => layout.Render(notPrecalculated));
                Assert.IsFalse(elsewhere.Contains("r-9"), "without Precalculate the other thread has no scope (proves the test)");
            }
        }

        [TestMethod]
        public void Precalculate_SnapshotsMutablePropertyObjects_PrimitivesAreRenderedLater()
        {
            var layout = new PyLogJsonLayout();
            var cart = new List<string> { "apple" };
            LogEventInfo withObject = Event();
            withObject.Properties["cart"] = cart;
            layout.Precalculate(withObject);
            cart.Add("pear"); // the application keeps using its object after logging

            JsonElement json = RenderAndParse(layout, withObject);
            Assert.AreEqual(1, json.GetProperty("cart").GetArrayLength(), "rendered as it was when logged");

            LogEventInfo primitivesOnly = Event();
            primitivesOnly.Properties["n"] = 1;
            layout.Precalculate(primitivesOnly);
            primitivesOnly.Properties["n"] = 2; // proves the event was not rendered at Precalculate
            Assert.AreEqual(2, RenderAndParse(layout, primitivesOnly).GetProperty("n").GetInt32());
        }

        /// <summary>Like an asynchronous target's writer thread: the logging thread's ScopeContext does not flow there.</summary>
        private static T OnThreadWithoutScope<T>(System.Func<T> work)
        {
            Task<T> task;
            using (System.Threading.ExecutionContext.SuppressFlow())
            {
                task = Task.Run(work);
            }

            return task.GetAwaiter().GetResult();
        }

        [TestMethod]
        public void PublicEnumerationFallback_ProducesTheSameBytes()
        {
            Assert.IsTrue(NLog.Targets.PyLog.Layouts.PropertySnapshot.HasFastEventPath, "NLog's struct enumerator for event properties was not found: the byte path allocates");
            Assert.IsTrue(NLog.Targets.PyLog.Layouts.PropertySnapshot.HasFastScopePath, "NLog's struct enumerator for scope properties was not found");
            var layout = new PyLogJsonLayout();
            var logEvent = new LogEventInfo(LogLevel.Info, "l", null, "A {A} B {B}", new object[] { 1, "two" }) { TimeStamp = FixedUtc };
            logEvent.Properties["extra"] = new[] { 1, 2 };
            for (int i = 0; i < 40; i++)
            {
                logEvent.Properties["p" + i] = i; // more than the initial buffer holds
            }

            using (ScopeContext.PushProperty("s", 1))
            {
                byte[] fast = RenderBytes(layout, logEvent);
                byte[] slow;
                NLog.Targets.PyLog.Layouts.PropertySnapshot.DisableFastPath = true;
                try
                {
                    slow = RenderBytes(layout, logEvent);
                }
                finally
                {
                    NLog.Targets.PyLog.Layouts.PropertySnapshot.DisableFastPath = false;
                }

                CollectionAssert.AreEqual(slow, fast);
                using JsonDocument document = JsonDocument.Parse(fast);
                Assert.AreEqual(39, document.RootElement.GetProperty("p39").GetInt32());
                Assert.AreEqual("two", document.RootElement.Str("B"));
                Assert.AreEqual(1, document.RootElement.GetProperty("s").GetInt32());
            }
        }

        [TestMethod]
        public void OverwrittenAndRemovedTemplateProperties_AreWrittenOnceWithTheCurrentValue()
        {
            var layout = new PyLogJsonLayout();
            var logEvent = new LogEventInfo(LogLevel.Info, "l", null, "A {A} B {B} C {C}", new object[] { 1, 2, 3 }) { TimeStamp = FixedUtc };
            logEvent.Properties["B"] = "override";
            logEvent.Properties.Remove("C");
            logEvent.Properties["D"] = 4;

            JsonElement json = RenderAndParse(layout, logEvent);

            Assert.AreEqual(1, json.GetProperty("A").GetInt32());
            Assert.AreEqual("override", json.Str("B"));
            Assert.IsFalse(json.Has("C"));
            Assert.AreEqual(4, json.GetProperty("D").GetInt32());
            var names = new List<string>();
            foreach (JsonProperty property in json.EnumerateObject())
            {
                names.Add(property.Name);
            }

            Assert.AreEqual(names.Count, new HashSet<string>(names).Count, string.Join(",", names));
        }

        [TestMethod]
        public void TypicalEvent_BytePath_AllocatesNothingInSteadyState()
        {
            var layout = new PyLogJsonLayout { MaskProperties = "password,*token*" };
            layout.Attributes.Add(new PyLogJsonAttribute("app", "demo"));
            var logEvent = new LogEventInfo(LogLevel.Info, "Orders.Service", null, "Order {OrderId} shipped to {City} in {Elapsed} ms", new object[] { 42, "Zürich", 12.5 });
            logEvent.Properties["UserId"] = 1001L;
            logEvent.Properties["Success"] = true;
            var output = new System.Buffers.ArrayBufferWriter<byte>(4096);
            for (int i = 0; i < 100; i++)
            {
                output.ResetWrittenCount();
                layout.RenderUtf8(logEvent, output);
            }

            long before = System.GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                output.ResetWrittenCount();
                layout.RenderUtf8(logEvent, output);
            }

            long allocated = System.GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.AreEqual(0L, allocated, "bytes allocated by 1000 renderings");
            StringAssert.Contains(System.Text.Encoding.UTF8.GetString(output.WrittenSpan), "\"City\":\"Zürich\"");

            using (ScopeContext.PushProperty("TraceId", "4bf92f3577b34da6"))
            using (ScopeContext.PushProperties(new[] { new KeyValuePair<string, object?>("RequestPath", "/orders"), new KeyValuePair<string, object?>("ConnectionId", 7) }))
            {
                for (int i = 0; i < 100; i++)
                {
                    output.ResetWrittenCount();
                    layout.RenderUtf8(logEvent, output);
                }

                before = System.GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 1000; i++)
                {
                    output.ResetWrittenCount();
                    layout.RenderUtf8(logEvent, output);
                }

                allocated = System.GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.AreEqual(0L, allocated, "bytes allocated by 1000 renderings with three scope properties");
                StringAssert.Contains(System.Text.Encoding.UTF8.GetString(output.WrittenSpan), "\"RequestPath\":\"/orders\"");
            }
        }
    }
}
