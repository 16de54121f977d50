using System;
using System.Globalization;
using System.Threading;
using NLog.Layouts;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>
    /// What a Plumelog record needs from the logging thread, taken in one go: <c>seq</c> (a
    /// process-wide counter), the thread's name or managed id, and the scope trace id. NLog caches a
    /// layout's value on the event (this layout is not thread-agnostic), so the first precalculation
    /// fixes the values and a later render on the writer thread, or a second render, repeats them.
    /// One cached string per event (<c>seq␟thread␟traceId</c>) keeps that to one allocation.
    /// </summary>
    internal sealed class PlumelogCapture : Layout
    {
        public const char Separator = '\u001F';

        private static long s_sequence;

        [ThreadStatic]
        private static string? t_threadId;

        private readonly PlumelogLayout _owner;

        public PlumelogCapture(PlumelogLayout owner)
        {
            _owner = owner;
        }

        /// <summary>Splits a captured value into its three parts.</summary>
        public static void Split(string captured, out ReadOnlySpan<char> sequence, out ReadOnlySpan<char> thread, out ReadOnlySpan<char> traceId)
        {
            var rest = captured.AsSpan();
            int first = rest.IndexOf(Separator);
            sequence = rest.Slice(0, first);
            rest = rest.Slice(first + 1);
            int second = rest.IndexOf(Separator);
            thread = rest.Slice(0, second);
            traceId = rest.Slice(second + 1);
        }

        /// <summary>NLog's precalculation renders through this builder path: append, no intermediate string.</summary>
        protected override void RenderFormattedMessage(LogEventInfo logEvent, System.Text.StringBuilder target)
        {
            long sequence = Interlocked.Increment(ref s_sequence);
            target.Append(sequence).Append(Separator).Append(CurrentThread()).Append(Separator).Append(ScopeTraceId());
        }

        protected override string GetFormattedMessage(LogEventInfo logEvent)
        {
            long sequence = Interlocked.Increment(ref s_sequence);
            string thread = CurrentThread();
            string traceId = ScopeTraceId();

            Span<char> digits = stackalloc char[20];
            sequence.TryFormat(digits, out int length, default, CultureInfo.InvariantCulture);
            return string.Create(length + 2 + thread.Length + traceId.Length, (sequence, thread, traceId), static (span, state) =>
            {
                state.sequence.TryFormat(span, out int written, default, CultureInfo.InvariantCulture);
                span[written++] = Separator;
                state.thread.AsSpan().CopyTo(span.Slice(written));
                written += state.thread.Length;
                span[written++] = Separator;
                state.traceId.AsSpan().CopyTo(span.Slice(written));
            });
        }

        private static string CurrentThread()
            => Thread.CurrentThread.Name ?? (t_threadId ??= Environment.CurrentManagedThreadId.ToString(CultureInfo.InvariantCulture));

        private string ScopeTraceId()
        {
            if (ScopeContext.TryGetProperty(_owner.TraceIdProperty, out object? value) && value != null)
                return value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
            return string.Empty;
        }
    }
}
