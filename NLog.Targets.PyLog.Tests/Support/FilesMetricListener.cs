using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>Sums the package's counters for one target name (other tests publish to the same meter).</summary>
    internal sealed class FilesMetricListener : IDisposable
    {
        private readonly MeterListener _listener = new MeterListener();
        private readonly string _target;
        private readonly ConcurrentDictionary<string, long> _sums = new ConcurrentDictionary<string, long>();

        public FilesMetricListener(string target)
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

        /// <summary>Sum of <c>pylog.events.dropped</c> for a reason (and a level, when given).</summary>
        public long Dropped(string reason, string? level = null) => Get("pylog.events.dropped|" + reason + "|" + (level ?? "*"));

        public long Sent => Get("pylog.events.sent");

        public void Dispose() => _listener.Dispose();

        private long Get(string key) => _sums.TryGetValue(key, out long value) ? value : 0;

        private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            string? target = null, reason = null, level = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "target") target = tag.Value as string;
                else if (tag.Key == "reason") reason = tag.Value as string;
                else if (tag.Key == "level") level = tag.Value as string;
            }
            if (target != _target)
                return;
            if (reason is null)
            {
                _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
                return;
            }
            _sums.AddOrUpdate(instrument.Name + "|" + reason + "|*", value, (_, sum) => sum + value);
            _sums.AddOrUpdate(instrument.Name + "|" + reason + "|" + level, value, (_, sum) => sum + value);
        }
    }
}
