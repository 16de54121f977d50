using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>
    /// Captures the measurements of this package's meter for one target name (other tests may
    /// publish to the same meter concurrently).
    /// </summary>
    public sealed class MetricCollector : IDisposable
    {
        private readonly MeterListener _listener = new MeterListener();
        private readonly string _target;
        private readonly ConcurrentQueue<Recorded> _recorded = new ConcurrentQueue<Recorded>();

        public MetricCollector(string target)
        {
            _target = target;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PyLogMetrics.MeterName)
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
            _listener.Start();
        }

        public sealed record Recorded(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);

        public IReadOnlyList<Recorded> All => _recorded.ToArray();

        /// <summary>Sum of a counter, optionally restricted to measurements whose tags match.</summary>
        public double Sum(string instrument, params (string Key, string Value)[] tags)
        {
            return Matching(instrument, tags).Sum(r => r.Value);
        }

        /// <summary>The measurements of a histogram or counter.</summary>
        public IReadOnlyList<double> Values(string instrument, params (string Key, string Value)[] tags)
        {
            return Matching(instrument, tags).Select(r => r.Value).ToList();
        }

        public long Sent => (long)Sum(PyLogMetrics.EventsSentName);

        public long SyncFallback => (long)Sum(PyLogMetrics.SyncFallbackName);

        /// <summary>Sum of <c>pylog.events.dropped</c> for a reason (and a level, when given).</summary>
        public long Dropped(string reason, string? level = null)
        {
            return level is null
                ? (long)Sum(PyLogMetrics.EventsDroppedName, ("reason", reason))
                : (long)Sum(PyLogMetrics.EventsDroppedName, ("reason", reason), ("level", level));
        }

        public long Dropped(LogLevel level, string reason) => Dropped(reason, level.Name);

        public long DroppedTotal(string reason) => Dropped(reason);

        /// <summary>Reads the gauge <c>pylog.queue.size</c> for this target now; -1 when it published nothing.</summary>
        public long ReadQueueSize()
        {
            int before = _recorded.Count;
            Observe();
            var fresh = _recorded.Skip(before).Where(r => r.Instrument == PyLogMetrics.QueueSizeName).ToList();
            return fresh.Count == 0 ? -1 : (long)fresh[fresh.Count - 1].Value;
        }

        /// <summary>Polls observable instruments (gauges) now.</summary>
        public void Observe() => _listener.RecordObservableInstruments();

        public void Dispose() => _listener.Dispose();

        private IEnumerable<Recorded> Matching(string instrument, (string Key, string Value)[] tags)
        {
            return _recorded.Where(r => r.Instrument == instrument
                && tags.All(t => r.Tags.TryGetValue(t.Key, out var v) && Equals(v?.ToString(), t.Value)));
        }

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var dict = new Dictionary<string, object?>();
            foreach (var tag in tags)
                dict[tag.Key] = tag.Value;
            if (dict.TryGetValue("target", out var target) && Equals(target, _target))
                _recorded.Enqueue(new Recorded(instrument.Name, value, dict));
        }
    }
}
