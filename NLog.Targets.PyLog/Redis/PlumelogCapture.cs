using System;
using System.Globalization;
using System.Text;
using System.Threading;
using NLog.Layouts;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>
    /// What a Plumelog record needs from the logging thread, taken in one go: <c>seq</c> (a
    /// process-wide counter), the thread's name or managed id, the scope trace id and the scope
    /// properties (already rendered as the record's extra fields). NLog caches a layout's value on
    /// the event (this layout is not thread-agnostic), so the first precalculation fixes the values
    /// and a later render on the writer thread, or a second render, repeats them.
    /// </summary>
    /// <remarks>
    /// One cached string per event: <c>seq␟threadLength␟traceIdLength␟{thread}{traceId}{scopeFields}</c>.
    /// The lengths make it safe for a thread name or trace id holding any character.
    /// </remarks>
    internal sealed class PlumelogCapture : Layout
    {
        private const char Separator = '\u001F';

        private static long s_sequence;

        private readonly PlumelogLayout _owner;

        public PlumelogCapture(PlumelogLayout owner)
        {
            _owner = owner;
        }

        /// <summary>Splits a captured value into its parts.</summary>
        public static Captured Parse(string captured)
        {
            var rest = captured.AsSpan();
            int first = rest.IndexOf(Separator);
            var sequence = rest.Slice(0, first);
            rest = rest.Slice(first + 1);
            int second = rest.IndexOf(Separator);
            int threadLength = int.Parse(rest.Slice(0, second), NumberStyles.None, CultureInfo.InvariantCulture);
            rest = rest.Slice(second + 1);
            int third = rest.IndexOf(Separator);
            int traceIdLength = int.Parse(rest.Slice(0, third), NumberStyles.None, CultureInfo.InvariantCulture);
            rest = rest.Slice(third + 1);
            return new Captured(sequence, rest.Slice(0, threadLength), rest.Slice(threadLength, traceIdLength), rest.Slice(threadLength + traceIdLength));
        }

        /// <summary>NLog's precalculation renders through this builder path: append, no intermediate string.</summary>
        protected override void RenderFormattedMessage(LogEventInfo logEvent, StringBuilder target) => Append(logEvent, target);

        protected override string GetFormattedMessage(LogEventInfo logEvent)
        {
            var builder = new StringBuilder(64);
            Append(logEvent, builder);
            return builder.ToString();
        }

        private void Append(LogEventInfo logEvent, StringBuilder target)
        {
            long sequence = Interlocked.Increment(ref s_sequence);
            string thread = CurrentThread();
            string traceId = ScopeTraceId();
            target.Append(sequence.ToString(CultureInfo.InvariantCulture)).Append(Separator)
                .Append(thread.Length.ToString(CultureInfo.InvariantCulture)).Append(Separator)
                .Append(traceId.Length.ToString(CultureInfo.InvariantCulture)).Append(Separator)
                .Append(thread).Append(traceId);
            _owner.AppendScopeFields(logEvent, target);
        }

        private static string CurrentThread()
            => Thread.CurrentThread.Name ?? Core.OriginThread.CurrentManagedId;

        private string ScopeTraceId()
        {
            if (ScopeContext.TryGetProperty(_owner.TraceIdProperty, out object? value) && value != null)
                return value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
            return string.Empty;
        }

        /// <summary>The parts of a captured value (views into the cached string).</summary>
        public readonly ref struct Captured
        {
            public Captured(ReadOnlySpan<char> sequence, ReadOnlySpan<char> thread, ReadOnlySpan<char> traceId, ReadOnlySpan<char> scopeFields)
            {
                Sequence = sequence;
                Thread = thread;
                TraceId = traceId;
                ScopeFields = scopeFields;
            }

            public ReadOnlySpan<char> Sequence { get; }

            public ReadOnlySpan<char> Thread { get; }

            public ReadOnlySpan<char> TraceId { get; }

            /// <summary>The scope properties as JSON members, each with its leading comma (empty when none).</summary>
            public ReadOnlySpan<char> ScopeFields { get; }
        }
    }
}
