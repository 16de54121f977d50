using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Demo
{
    /// <summary>Sums the package's counters by target, as a metrics exporter would see them.</summary>
    internal sealed class DemoMetrics : IDisposable
    {
        private readonly MeterListener _listener = new MeterListener();
        private readonly ConcurrentDictionary<string, long> _sums = new ConcurrentDictionary<string, long>();

        public DemoMetrics()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PyLogMetrics.MeterName && instrument is Counter<long>)
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string target = "?", level = "", reason = "";
                foreach (var tag in tags)
                {
                    if (tag.Key == "target") target = tag.Value?.ToString() ?? "?";
                    else if (tag.Key == "level") level = tag.Value?.ToString() ?? "";
                    else if (tag.Key == "reason") reason = tag.Value?.ToString() ?? "";
                }
                string key = instrument.Name == "pylog.events.dropped"
                    ? $"{instrument.Name}|{target}|{level}|{reason}"
                    : $"{instrument.Name}|{target}||";
                _sums.AddOrUpdate(key, value, (_, sum) => sum + value);
            });
            _listener.Start();
        }

        /// <summary>
        /// Prints the sums. A wrapper around one of this package's targets is left out of the
        /// totals: the target inside counts the same events (delivered ones, and the failures the
        /// wrapper re-counts as <c>write_failed</c>). A wrapper around another target is the only
        /// one counting, so it stays in.
        /// </summary>
        public void Print(TextWriter output, ISet<string> wrappersOverCountingTargets)
        {
            var rows = _sums.Select(kv => (Parts: kv.Key.Split('|'), kv.Value)).OrderBy(r => r.Parts[0]).ThenBy(r => r.Parts[1]).ToList();
            long sent = rows.Where(r => r.Parts[0] == "pylog.events.sent" && !wrappersOverCountingTargets.Contains(r.Parts[1])).Sum(r => r.Value);
            long dropped = rows.Where(r => r.Parts[0] == "pylog.events.dropped"
                    && !(r.Parts[3] == DropReasons.WriteFailed && wrappersOverCountingTargets.Contains(r.Parts[1])))
                .Sum(r => r.Value);
            output.WriteLine(rows.Count == 0
                ? "Metrics:   none published (this config uses no NLog.Targets.PyLog target)"
                : $"Delivered: {sent:N0} (pylog.events.sent)   Dropped: {dropped:N0} (pylog.events.dropped)");
            foreach (var (parts, value) in rows)
            {
                string extra = parts[2].Length > 0 ? $" level={parts[2]} reason={parts[3]}" : "";
                output.WriteLine($"  {parts[0]} target={parts[1]}{extra}: {value:N0}");
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
