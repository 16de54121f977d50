using System.Collections.Generic;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Failover
{
    /// <summary>Hears the outcomes of one child of a <see cref="FailoverTarget"/> that reports them (this package's targets and wrappers).</summary>
    internal sealed class ChildOutcomeListener : IDeliveryListener
    {
        private readonly FailoverTarget _group;
        private readonly int _child;

        public ChildOutcomeListener(FailoverTarget group, int child, IDeliveryReporter reporter)
        {
            _group = group;
            _child = child;
            Reporter = reporter;
        }

        public IDeliveryReporter Reporter { get; }

        public void OnOutcome(IReadOnlyList<LogEventInfo> events, DeliveryOutcome outcome) => _group.OnChildOutcome(_child, events, outcome);
    }
}
