using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>
    /// Listens to the <c>NLog.Targets.PyLog</c> meter and keeps only measurements whose <c>target</c>
    /// tag is the test's own target, so tests in other classes publishing to the same meter do not interfere.
    /// </summary>
    internal sealed class BackpressureMetricsCapture : IDisposable
    {
        private readonly string _target;
        private readonly MeterListener _listener = new MeterListener();
        private readonly object _lock = new object();
        private readonly Dictionary<(string Level, string Reason), long> _dropped = new Dictionary<(string, string), long>();
        private long _syncFallback;
        private long _sent;
        private long _lastQueueSize = -1;

        public BackpressureMetricsCapture(string target)
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

        public long SyncFallback { get { lock (_lock) return _syncFallback; } }

        public long Sent { get { lock (_lock) return _sent; } }

        public long Dropped(LogLevel level, string reason)
        {
            lock (_lock)
                return _dropped.TryGetValue((level.Name, reason), out var count) ? count : 0;
        }

        public long DroppedTotal(string reason)
        {
            long total = 0;
            lock (_lock)
            {
                foreach (var pair in _dropped)
                {
                    if (pair.Key.Reason == reason)
                        total += pair.Value;
                }
            }
            return total;
        }

        /// <summary>Reads the observable gauge <c>pylog.queue.size</c> for this target now.</summary>
        public long ReadQueueSize()
        {
            lock (_lock)
                _lastQueueSize = -1;
            _listener.RecordObservableInstruments();
            lock (_lock)
                return _lastQueueSize;
        }

        public void Dispose() => _listener.Dispose();

        private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            string? target = null, level = null, reason = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "target")
                    target = tag.Value as string;
                else if (tag.Key == "level")
                    level = tag.Value as string;
                else if (tag.Key == "reason")
                    reason = tag.Value as string;
            }
            if (target != _target)
                return;

            lock (_lock)
            {
                switch (instrument.Name)
                {
                    case "pylog.events.dropped":
                        var key = (level ?? "?", reason ?? "?");
                        _dropped[key] = (_dropped.TryGetValue(key, out var count) ? count : 0) + value;
                        break;
                    case "pylog.events.sync_fallback":
                        _syncFallback += value;
                        break;
                    case "pylog.events.sent":
                        _sent += value;
                        break;
                    case "pylog.queue.size":
                        _lastQueueSize = value;
                        break;
                }
            }
        }
    }
}
