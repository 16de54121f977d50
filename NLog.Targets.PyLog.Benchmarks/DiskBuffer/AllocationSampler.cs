using System;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Linq;
using System.Text;

namespace NLog.Targets.PyLog.Benchmarks.DiskBuffer
{
    /// <summary>
    /// Profiling aid: listens to the runtime's GC AllocationTick events (one per ~100 KB allocated,
    /// naming the type of the allocation that crossed the mark) and reports the share of each type.
    /// </summary>
    internal sealed class AllocationSampler : EventListener
    {
        private readonly Dictionary<string, long> _bytesByType = new Dictionary<string, long>(StringComparer.Ordinal);
        private readonly object _sync = new object();

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null)
                return;
            int typeIndex = eventData.PayloadNames!.IndexOf("TypeName");
            int amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount");
            if (typeIndex < 0 || amountIndex < 0)
                return;
            string type = eventData.Payload[typeIndex] as string ?? "?";
            int kindIndex = eventData.PayloadNames.IndexOf("AllocationKind");
            if (kindIndex >= 0 && Convert.ToInt32(eventData.Payload[kindIndex], CultureInfo.InvariantCulture) == 1)
                type += " (large object heap)";
            long amount = Convert.ToInt64(eventData.Payload[amountIndex], CultureInfo.InvariantCulture);
            lock (_sync)
            {
                _bytesByType.TryGetValue(type, out long sum);
                _bytesByType[type] = sum + amount;
            }
        }

        public string Report(long events)
        {
            var text = new StringBuilder();
            lock (_sync)
            {
                long total = _bytesByType.Values.Sum();
                foreach (var pair in _bytesByType.OrderByDescending(p => p.Value).Take(15))
                    text.AppendLine(string.Format(CultureInfo.InvariantCulture, "  {0,6:P1} {1,8:F1} B/event  {2}", (double)pair.Value / total, (double)pair.Value / events, pair.Key));
            }
            return text.ToString();
        }
    }
}
