using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>Sums the package's counters for one target name (other tests publish to the same meter).</summary>
    internal sealed class KafkaMetricCapture : IDisposable
    {
        private readonly string _target;
        private readonly MeterListener _listener = new MeterListener();
        private readonly object _lock = new object();
        private readonly Dictionary<string, long> _sums = new Dictionary<string, long>();

        public KafkaMetricCapture(string target)
        {
            _target = target;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PyLogMetrics.MeterName)
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>(OnMeasurement);
            _listener.Start();
        }

        /// <summary>Sum of <paramref name="instrument"/>; for drops, optionally of one reason only.</summary>
        public long Sum(string instrument, string? reason = null)
        {
            lock (_lock)
            {
                return _sums.TryGetValue(reason is null ? instrument : instrument + "|" + reason, out var value) ? value : 0;
            }
        }

        public void Dispose() => _listener.Dispose();

        private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            string? target = null;
            string? reason = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "target")
                    target = tag.Value as string;
                else if (tag.Key == "reason")
                    reason = tag.Value as string;
            }
            if (target != _target || instrument is ObservableInstrument<long>)
                return;
            lock (_lock)
            {
                Add(instrument.Name, value);
                if (reason != null)
                    Add(instrument.Name + "|" + reason, value);
            }
        }

        private void Add(string key, long value)
        {
            _sums.TryGetValue(key, out var sum);
            _sums[key] = sum + value;
        }
    }
}
