using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Core
{
    [TestClass]
    public sealed class NetworkBatchingTests
    {
        [TestMethod]
        public void Batch_closes_on_count_without_waiting_for_linger()
        {
            var target = new FakeNetworkTarget { Name = "count", BatchSize = 10, LingerMilliseconds = 60_000 };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 25; i++)
                logger.Info("m{0}", i);

            Poll.Until(() => target.Batches.Count >= 2, "two full batches of 10");
            Assert.IsTrue(target.Batches.All(b => b.Length == 10), "only full batches are sent before the linger expires");
            Assert.AreEqual(20, target.DeliveredCount);

            factory.Flush(TimeSpan.FromSeconds(10));
            CollectionAssert.AreEqual(Enumerable.Range(0, 25).Select(i => "m" + i).ToList(), target.Delivered());
            Assert.AreEqual(5, target.Batches.Last().Length, "flush sends the partial batch");
        }

        [TestMethod]
        public void Batch_closes_on_bytes()
        {
            // Each message is exactly 10 bytes; 35 bytes allow 3 per batch.
            var target = new FakeNetworkTarget { Name = "bytes", BatchSize = 1000, MaxBatchBytes = 35, LingerMilliseconds = 60_000 };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 9; i++)
                logger.Info("message-{0:D2}", i);

            // The third batch holds 30 bytes and waits: a 40-byte batch would exceed the limit only
            // when a tenth event arrives.
            Poll.Until(() => target.DeliveredCount == 6, "two byte-bounded batches");
            factory.Flush(TimeSpan.FromSeconds(10));
            Assert.AreEqual(9, target.DeliveredCount);
            Assert.IsTrue(target.Batches.All(b => b.Length == 3), "batches of 3 x 10 bytes: " + string.Join(",", target.Batches.Select(b => b.Length)));
        }

        [TestMethod]
        public void Partial_batch_is_sent_when_linger_expires()
        {
            var target = new FakeNetworkTarget { Name = "linger", BatchSize = 100, LingerMilliseconds = 800 };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            var watch = Stopwatch.StartNew();
            for (int i = 0; i < 5; i++)
                logger.Info("m{0}", i);

            Poll.Until(() => target.DeliveredCount == 5, "the half-full batch, without any flush");
            Assert.IsTrue(watch.ElapsedMilliseconds >= 400, $"sent after {watch.ElapsedMilliseconds} ms: it did not wait for the linger");
            Assert.AreEqual(1, target.Batches.Count, "one batch of 5");
        }

        [TestMethod]
        public void Zero_linger_sends_what_is_queued_at_once()
        {
            var target = new FakeNetworkTarget { Name = "nolinger", BatchSize = 100, LingerMilliseconds = 0 };
            using var factory = TestLogFactory.With(target);

            factory.GetLogger("t").Info("alone");

            Poll.Until(() => target.DeliveredCount == 1, "the single event", 5000);
        }

        [TestMethod]
        public void Batches_never_exceed_the_transport_limit()
        {
            var target = new FakeNetworkTarget { Name = "split", BatchSize = 500, MaxEventsPerRequest = 7, LingerMilliseconds = 60_000 };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 100; i++)
                logger.Info("m{0}", i);
            factory.Flush(TimeSpan.FromSeconds(10));

            Assert.AreEqual(100, target.DeliveredCount);
            Assert.IsTrue(target.Batches.All(b => b.Length <= 7), "largest batch " + target.Batches.Max(b => b.Length));
        }

        [TestMethod]
        public void Next_batch_is_rendered_during_a_send_and_order_is_kept()
        {
            var target = new FakeNetworkTarget
            {
                Name = "overlap",
                BatchSize = 50,
                LingerMilliseconds = 0,
                Behaviour = (_, ct) => Task.Delay(20, ct),
            };
            using var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");

            for (int i = 0; i < 2000; i++)
                logger.Info("m{0}", i);
            factory.Flush(TimeSpan.FromSeconds(30));

            CollectionAssert.AreEqual(Enumerable.Range(0, 2000).Select(i => "m" + i).ToList(), target.Delivered());
            Assert.IsTrue(target.RendersDuringSend > 0, "rendering overlapped a send");
        }

        [TestMethod]
        public void Sends_in_progress_never_exceed_MaxBatchesInFlight()
        {
            var one = new FakeNetworkTarget { Name = "one-in-flight", BatchSize = 50, LingerMilliseconds = 0, Behaviour = (_, ct) => Task.Delay(5, ct) };
            var three = new FakeNetworkTarget { Name = "three-in-flight", BatchSize = 50, LingerMilliseconds = 0, MaxBatchesInFlight = 3, Behaviour = (_, ct) => Task.Delay(20, ct) };
            foreach (var target in new[] { one, three })
            {
                using var factory = TestLogFactory.With(target);
                var logger = factory.GetLogger("t");
                for (int i = 0; i < 1000; i++)
                    logger.Info("m{0}", i);
                factory.Flush(TimeSpan.FromSeconds(30));
                Assert.AreEqual(1000, target.DeliveredCount, target.Name);
            }

            Assert.AreEqual(1, one.MaxConcurrentSends, "default: one batch in flight");
            Assert.IsTrue(three.MaxConcurrentSends > 1 && three.MaxConcurrentSends <= 3, "MaxBatchesInFlight=3 allowed " + three.MaxConcurrentSends);
        }

        [TestMethod]
        public async Task Flush_waits_for_the_lingering_batch()
        {
            var target = new FakeNetworkTarget { Name = "flush", BatchSize = 100, LingerMilliseconds = 60_000 };
            using var factory = TestLogFactory.With(target);

            factory.GetLogger("t").Info("one");
            await factory.FlushAsync(default);

            Assert.AreEqual(1, target.DeliveredCount, "flush delivered the open batch");
        }
    }
}
