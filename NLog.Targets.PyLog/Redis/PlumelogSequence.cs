using System.Globalization;
using System.Threading;
using NLog.Layouts;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>
    /// Plumelog's <c>seq</c>: a process-wide counter, taken once per event. NLog caches a layout's
    /// value on the event (this layout is not thread-agnostic), so the first render or precalculation
    /// fixes the number and every later render of the same event repeats it.
    /// </summary>
    internal sealed class PlumelogSequence : Layout
    {
        private static long s_last;

        protected override string GetFormattedMessage(LogEventInfo logEvent)
            => Interlocked.Increment(ref s_last).ToString(CultureInfo.InvariantCulture);
    }
}
