using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Makes the close of the network targets of one configuration take one close timeout in
    /// total, not one per target: NLog closes targets one after the other, so the first one to
    /// close opens a window of its <see cref="PyLogNetworkTarget.CloseTimeoutMilliseconds"/> and
    /// starts every live network target of the same configuration draining at once; each later
    /// close only waits for its own drain, within the same window.
    /// </summary>
    internal sealed class CloseCoordinator
    {
        private static readonly ConditionalWeakTable<object, CloseCoordinator> s_byConfiguration = new ConditionalWeakTable<object, CloseCoordinator>();

        // A close that starts this long after the window ended opens a new one (a later, separate close).
        private static readonly long s_windowSlack = Stopwatch.Frequency;

        private readonly List<PyLogNetworkTarget> _members = new List<PyLogNetworkTarget>();
        private long _windowEnd;

        /// <summary>The coordinator of <paramref name="configuration"/>'s targets (a private one when there is none).</summary>
        public static CloseCoordinator For(object? configuration)
        {
            return configuration is null ? new CloseCoordinator() : s_byConfiguration.GetValue(configuration, static _ => new CloseCoordinator());
        }

        public void Join(PyLogNetworkTarget target)
        {
            lock (_members)
                _members.Add(target);
        }

        public void Leave(PyLogNetworkTarget target)
        {
            lock (_members)
                _members.Remove(target);
        }

        /// <summary>
        /// Called when <paramref name="closing"/> starts to close: starts its drain, and that of
        /// every other member when this close opens the window. Returns the window's end (a
        /// <see cref="Stopwatch"/> timestamp).
        /// </summary>
        public long BeginClose(PyLogNetworkTarget closing)
        {
            long now = Stopwatch.GetTimestamp();
            PyLogNetworkTarget[] drain;
            long end;
            lock (_members)
            {
                if (_windowEnd == 0 || now > _windowEnd + s_windowSlack)
                {
                    _windowEnd = now + (long)(closing.CloseTimeoutMilliseconds / 1000.0 * Stopwatch.Frequency);
                    drain = _members.ToArray();
                }
                else
                {
                    drain = new[] { closing };
                }
                end = _windowEnd;
            }
            foreach (var member in drain)
                member.StartDraining(end);
            closing.StartDraining(end);
            return end;
        }
    }
}
