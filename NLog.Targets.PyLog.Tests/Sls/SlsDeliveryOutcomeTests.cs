using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Moq;
using NLog.Targets.PyLog.Core;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Sls
{
    /// <summary>What a wrapper in front of the SLS target sees through the one delivery outcome.</summary>
    [TestClass]
    public sealed class SlsDeliveryOutcomeTests
    {
        [TestMethod]
        public void Rejected_batch_reaches_the_listener_once_as_a_permanent_drop_and_the_next_as_delivered()
        {
            using var emulator = new SlsEmulator();
            var target = SlsTestTargets.For(emulator, "sls-outcome");
            target.Contents.Add(new TargetPropertyWithContext("message", "${message}"));
            target.LingerMilliseconds = 60_000;
            var seen = new List<(string Message, DeliveryOutcome Outcome)>();
            var listener = new Mock<IDeliveryListener>(MockBehavior.Strict);
            listener.Setup(l => l.OnOutcome(It.IsAny<IReadOnlyList<LogEventInfo>>(), It.IsAny<DeliveryOutcome>()))
                .Callback<IReadOnlyList<LogEventInfo>, DeliveryOutcome>((events, outcome) =>
                {
                    lock (seen)
                    {
                        foreach (var e in events)
                            seen.Add((e.FormattedMessage, outcome));
                    }
                });
            ((IDeliveryReporter)target).AddDeliveryListener(listener.Object);

            using (var factory = TestLogFactory.With(target))
            {
                var logger = factory.GetLogger("t");
                emulator.FailNext(1, SlsEmulator.BodyTooLarge);
                for (int i = 0; i < 10; i++)
                    logger.Info("refused " + i);
                factory.Flush(TimeSpan.FromSeconds(10));
                for (int i = 0; i < 5; i++)
                    logger.Info("accepted " + i);
                factory.Flush(TimeSpan.FromSeconds(10));
            }

            listener.Verify(l => l.OnOutcome(It.IsAny<IReadOnlyList<LogEventInfo>>(),
                It.Is<DeliveryOutcome>(o => !o.IsDelivered && o.IsPermanent && o.DropReason == DropReasons.Rejected)), Times.AtLeastOnce());
            listener.Verify(l => l.OnOutcome(It.IsAny<IReadOnlyList<LogEventInfo>>(), It.Is<DeliveryOutcome>(o => o.IsDelivered)), Times.AtLeastOnce());
            Assert.AreEqual(15, seen.Count, "each event reported exactly once: " + string.Join(", ", seen.Select(s => s.Message + "=" + s.Outcome)));
            Assert.IsTrue(seen.Where(s => s.Message.StartsWith("refused", StringComparison.Ordinal)).All(s => s.Outcome.DropReason == DropReasons.Rejected && s.Outcome.IsPermanent));
            Assert.IsTrue(seen.Where(s => s.Message.StartsWith("accepted", StringComparison.Ordinal)).All(s => s.Outcome.IsDelivered));
            Assert.AreEqual(5, emulator.LogCount);
        }
    }
}
