using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Common;
using NLog.Config;
using NLog.Targets.PyLog.Backpressure;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Backpressure
{
    /// <summary>A huge queueLimit costs only what the queue uses (issue 17: 2147483647 threw OutOfMemoryException at start).</summary>
    [TestClass]
    public class BackpressureQueueAllocationTests
    {
        [TestMethod]
        public void QueueLimit_of_int_MaxValue_starts_and_allocates_only_what_is_used()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var queue = new BoundedEventQueue(int.MaxValue);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            // One segment and the segment table (131072 references), not 51 GB of slots.
            Assert.IsTrue(allocated < 4 * 1024 * 1024, "allocated " + allocated + " bytes up front");
            Assert.AreEqual(BoundedEventQueue.SegmentSize, queue.AllocatedSlots);

            int events = BoundedEventQueue.SegmentSize * 2 + 5;
            for (int i = 0; i < events; i++)
                Assert.IsTrue(queue.TryEnqueue(Event(i)));
            Assert.AreEqual(BoundedEventQueue.SegmentSize * 3L, queue.AllocatedSlots, "three segments once the backlog reaches the third");

            var batch = new List<AsyncLogEventInfo>();
            while (queue.DequeueBatch(batch, 1000) > 0)
            {
            }

            Assert.AreEqual(events, batch.Count);
            for (int i = 0; i < events; i++)
                Assert.AreEqual(i, batch[i].LogEvent.Properties["i"], "order kept across segments");
        }

        [TestMethod]
        public void Segmented_queue_wraps_around_and_keeps_order_with_several_producers()
        {
            // Capacity not a multiple of the segment size: the last segment is partial.
            int capacity = BoundedEventQueue.SegmentSize + 7;
            var queue = new BoundedEventQueue(capacity);
            const int producers = 4;
            const int perProducer = 50000;
            var producing = new Task[producers];
            for (int p = 0; p < producers; p++)
            {
                int producer = p;
                producing[p] = Task.Run(() =>
                {
                    for (int i = 0; i < perProducer; i++)
                    {
                        var item = new AsyncLogEventInfo(new LogEventInfo(LogLevel.Info, "q", producer.ToString()) { Properties = { ["i"] = i } }, _ => { });
                        while (!queue.TryEnqueue(item))
                            System.Threading.Thread.Yield();
                    }
                });
            }

            var last = new int[producers];
            Array.Fill(last, -1);
            var batch = new List<AsyncLogEventInfo>();
            long taken = 0;
            var allProduced = Task.WhenAll(producing);
            while (taken < producers * (long)perProducer)
            {
                batch.Clear();
                if (queue.DequeueBatch(batch, 500) == 0)
                {
                    Assert.IsFalse(allProduced.IsFaulted, allProduced.Exception?.ToString());
                    System.Threading.Thread.Yield();
                    continue;
                }

                foreach (var item in batch)
                {
                    int producer = int.Parse(item.LogEvent.Message);
                    int i = (int)item.LogEvent.Properties["i"]!;
                    Assert.AreEqual(last[producer] + 1, i, "per-producer order");
                    last[producer] = i;
                }

                taken += batch.Count;
            }

            allProduced.Wait();
            Assert.IsTrue(queue.AllocatedSlots <= capacity);
        }

        [TestMethod]
        public void BackpressureWrapper_with_QueueLimit_int_MaxValue_loads_and_delivers()
        {
            using var factory = TestLogFactory.FromXml(
                "<nlog throwConfigExceptions='true'><targets><target type='BackpressureWrapper' name='w' queueLimit='2147483647'>" +
                "<target type='Memory' name='m' layout='${message}' /></target></targets>" +
                "<rules><logger name='*' minlevel='Trace' writeTo='w' /></rules></nlog>");
            factory.GetLogger("q").Info("through");
            factory.Flush(TimeSpan.FromSeconds(30));
            var memory = factory.Configuration!.FindTargetByName<NLog.Targets.MemoryTarget>("m")!;
            CollectionAssert.AreEqual(new[] { "through" }, memory.Logs.ToArray());
        }

        [TestMethod]
        public void BatchSize_above_its_maximum_fails_at_load_naming_it()
        {
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(
                "<nlog throwConfigExceptions='true'><targets><target type='BackpressureWrapper' name='w' queueLimit='2147483647' batchSize='2147483647'>" +
                "<target type='Null' name='n' /></target></targets><rules><logger name='*' writeTo='w' /></rules></nlog>").Dispose());
            StringAssert.Contains(ex.ToString(), "BatchSize");
            StringAssert.Contains(ex.ToString(), "2147483647");
        }

        private static AsyncLogEventInfo Event(int i) => new AsyncLogEventInfo(new LogEventInfo(LogLevel.Info, "q", "m") { Properties = { ["i"] = i } }, _ => { });
    }
}
