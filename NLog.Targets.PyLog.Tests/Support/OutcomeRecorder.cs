using System.Collections.Generic;
using System.Linq;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>A delivery listener that records every (event, outcome) it hears, in order.</summary>
    internal sealed class OutcomeRecorder : IDeliveryListener
    {
        private readonly List<(LogEventInfo Event, DeliveryOutcome Outcome)> _heard = new List<(LogEventInfo, DeliveryOutcome)>();

        public int Count
        {
            get
            {
                lock (_heard)
                    return _heard.Count;
            }
        }

        public void OnOutcome(IReadOnlyList<LogEventInfo> events, DeliveryOutcome outcome)
        {
            lock (_heard)
            {
                foreach (var logEvent in events)
                    _heard.Add((logEvent, outcome));
            }
        }

        public List<(LogEventInfo Event, DeliveryOutcome Outcome)> Snapshot()
        {
            lock (_heard)
                return _heard.ToList();
        }

        public (LogEventInfo Event, DeliveryOutcome Outcome) Single() => Snapshot().Single();

        public int CountWhere(System.Func<DeliveryOutcome, bool> predicate) => Snapshot().Count(h => predicate(h.Outcome));
    }
}
