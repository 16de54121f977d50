using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Core
{
    /// <summary>
    /// A close without a flush first — what NLog's AppDomain.ProcessExit handler leads to when the
    /// application exits without <c>LogManager.Shutdown()</c> (it closes the targets with a zero
    /// flush timeout) — still delivers what the target queues, within its close timeout. The
    /// target is closed directly (<c>Dispose()</c>) so that no flush runs before.
    /// </summary>
    [TestClass]
    public sealed class NetworkCloseWithoutFlushTests
    {
        [TestMethod]
        public void Close_without_flush_delivers_what_is_queued_within_the_close_timeout()
        {
            // Before: the close sent only the open batch and counted NLog's queue (9,500 of 10,000
            // in the measurement against a healthy Redis) as shutdown drops.
            const string name = "close-no-flush";
            const int events = 10_000;
            using var metrics = new MetricCollector(name);
            var target = new FakeNetworkTarget
            {
                Name = name,
                BatchSize = 500,
                QueueLimit = 20_000,
                LingerMilliseconds = 0,
                CloseTimeoutMilliseconds = 30_000,
                Behaviour = (_, ct) => Task.Delay(2, ct),
            };
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("t");
            for (int i = 0; i < events; i++)
                logger.Info("m{0}", i);

            target.Dispose();
            factory.Dispose();

            Assert.AreEqual(events, target.DeliveredCount, "every queued event delivered by the close itself");
            Assert.AreEqual(events, metrics.Sent);
            Assert.AreEqual(0, metrics.Sum(PyLogMetrics.EventsDroppedName));
        }
    }
}
