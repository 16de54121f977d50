using System.Reflection;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Common;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Core
{
    /// <summary>
    /// NLog's AsyncTaskTarget can stop draining its queue (a logging call that finds the queue empty
    /// decides, after a 50 ms lock timeout, that a writer is running when it is just finishing). These
    /// tests put a network target into that state on purpose: one event in NLog's queue that nobody
    /// scheduled a writer for, after which every logging call only queues.
    /// </summary>
    [TestClass]
    public sealed class QueueWriterWatchdogTests
    {
        private const int Count = 50;

        [TestMethod]
        public void Events_NLog_stopped_writing_are_delivered_after_the_watchdog_restarts_its_writer()
        {
            var target = new FakeNetworkTarget { Name = "watchdog", LingerMilliseconds = 0 };
            var factory = TestLogFactory.With(target);
            try
            {
                var logger = factory.GetLogger("Watchdog");
                Stall(target, logger);

                Poll.Until(() => target.DeliveredCount == Count + 2, "every event NLog had stopped writing is delivered", 10000,
                    () => $"delivered {target.DeliveredCount} of {Count + 2}, queued {Probe(target).Count}, restarts {target.QueueWriterRestarts}");
                Assert.IsTrue(target.QueueWriterRestarts >= 1, "the watchdog restarted NLog's writer");
                Assert.AreEqual(0, Probe(target).Count);
            }
            finally
            {
                factory.Shutdown();
            }
        }

        [TestMethod]
        public void Without_the_watchdog_the_stalled_queue_stays_undrained()
        {
            // The other half: the state the test above builds is a real stall, not one that NLog
            // would leave by itself (so the test above cannot pass without the watchdog).
            var target = new FakeNetworkTarget { Name = "no-watchdog", LingerMilliseconds = 0 };
            var factory = TestLogFactory.With(target);
            try
            {
                target.Watchdog!.Dispose();
                var logger = factory.GetLogger("NoWatchdog");
                Stall(target, logger);

                Thread.Sleep(1500);
                Assert.AreEqual(1, target.DeliveredCount, "only the warm-up event left NLog's queue");
                Assert.AreEqual(Count + 1, Probe(target).Count, "the rest waits in NLog's queue with no writer");
                Assert.IsTrue(Probe(target).WriterIdle);
                Assert.AreEqual(0, target.QueueWriterRestarts);
            }
            finally
            {
                factory.Shutdown();
            }
        }

        [TestMethod]
        public void Events_queued_behind_a_busy_writer_are_left_alone()
        {
            var target = new FakeNetworkTarget { Name = "busy-writer", LingerMilliseconds = 0 };
            var factory = TestLogFactory.With(target);
            var release = new SemaphoreSlim(0);
            try
            {
                // One batch in flight (the default) and its send held: the next write waits for the
                // send slot, so NLog's write task stays running while more events queue behind it.
                target.Behaviour = async (_, token) => await release.WaitAsync(token);
                var logger = factory.GetLogger("Busy");
                logger.Info("first");
                Poll.Until(() => target.Attempts == 1, "the first batch is being sent");
                logger.Info("second");
                Poll.Until(() => Probe(target).Count == 0 && !Probe(target).WriterIdle, "NLog's writer took the second event and waits for the send slot");
                for (int i = 0; i < Count; i++)
                    logger.Info("busy {0}", i);

                for (int look = 0; look < 3; look++)
                {
                    Thread.Sleep(300);
                    target.Watchdog!.Look();
                }
                Assert.AreEqual(Count, Probe(target).Count, "the events wait behind the running writer");
                Assert.AreEqual(0, target.QueueWriterRestarts, "events queued behind a running writer are not a stall");
            }
            finally
            {
                release.Release(1000);
                factory.Shutdown();
            }
        }

        /// <summary>Delivers a warm-up event, then queues one event the way NLog's race leaves it (no writer scheduled) and logs <see cref="Count"/> more.</summary>
        private static void Stall(FakeNetworkTarget target, Logger logger)
        {
            logger.Info("warm-up");
            Poll.Until(() => target.DeliveredCount == 1 && Probe(target).WriterIdle, "the warm-up event is delivered and NLog's writer is idle");

            var queue = typeof(AsyncTaskTarget).GetField("_requestQueue", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(target)!;
            var enqueue = queue.GetType().GetMethod("Enqueue", new[] { typeof(AsyncLogEventInfo) })!;
            enqueue.Invoke(queue, new object[] { new LogEventInfo(LogLevel.Info, "Stalled", "queued without a writer").WithContinuation(_ => { }) });
            for (int i = 0; i < Count; i++)
                logger.Info("after the stall {0}", i);
        }

        private static AsyncTaskQueueProbe Probe(FakeNetworkTarget target) => AsyncTaskQueueProbe.Attach(target);
    }
}
