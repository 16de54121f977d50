using System;
using System.Threading;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// Plumelog's two timestamps of an event: <c>dtTime</c> (epoch milliseconds) and
    /// <c>dateTime</c> (<c>yyyy-MM-dd HH:mm:ss.SSS</c>, local time) without a time-zone lookup per
    /// event. The local offset is looked up once per 15-minute slot and reused when it is the same at
    /// both ends of the slot (zones change their offset on a quarter hour, so that is every slot but
    /// the rare one holding a change, which is looked up per event).
    /// </summary>
    internal static class PlumelogClock
    {
        private const long SlotTicks = 15 * TimeSpan.TicksPerMinute;

        private static OffsetSlot? s_fromUtc;
        private static OffsetSlot? s_fromLocal;

        /// <summary>The length of <c>yyyy-MM-dd HH:mm:ss.SSS</c>.</summary>
        public const int DateTimeLength = 23;

        /// <summary>Splits an event timestamp into epoch milliseconds and local clock ticks.</summary>
        public static void Split(DateTime timestamp, out long epochMilliseconds, out long localTicks)
        {
            long ticks = timestamp.Ticks;
            if (timestamp.Kind == DateTimeKind.Utc)
            {
                long offset = Offset(ref s_fromUtc, ticks, fromUtc: true);
                epochMilliseconds = (ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
                localTicks = Clamp(ticks + offset);
            }
            else
            {
                long offset = Offset(ref s_fromLocal, ticks, fromUtc: false);
                epochMilliseconds = (Clamp(ticks - offset) - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
                localTicks = ticks;
            }
        }

        /// <summary>Writes <c>yyyy-MM-dd HH:mm:ss.SSS</c> of <paramref name="localTicks"/> as ASCII into <paramref name="target"/> (23 bytes).</summary>
        public static void FormatDateTime(long localTicks, Span<byte> target)
        {
            var time = new DateTime(localTicks);
            Digits(target.Slice(0, 4), time.Year);
            target[4] = (byte)'-';
            Digits(target.Slice(5, 2), time.Month);
            target[7] = (byte)'-';
            Digits(target.Slice(8, 2), time.Day);
            target[10] = (byte)' ';
            long ofDay = localTicks % TimeSpan.TicksPerDay;
            Digits(target.Slice(11, 2), (int)(ofDay / TimeSpan.TicksPerHour));
            target[13] = (byte)':';
            Digits(target.Slice(14, 2), (int)(ofDay / TimeSpan.TicksPerMinute % 60));
            target[16] = (byte)':';
            Digits(target.Slice(17, 2), (int)(ofDay / TimeSpan.TicksPerSecond % 60));
            target[19] = (byte)'.';
            Digits(target.Slice(20, 3), (int)(ofDay / TimeSpan.TicksPerMillisecond % 1000));
        }

        /// <summary>Forgets the cached offsets (after a change of the machine's time zone, and for tests).</summary>
        public static void Reset()
        {
            Volatile.Write(ref s_fromUtc, null);
            Volatile.Write(ref s_fromLocal, null);
        }

        private static long Offset(ref OffsetSlot? cache, long ticks, bool fromUtc)
        {
            long slot = ticks - (ticks % SlotTicks);
            OffsetSlot? cached = Volatile.Read(ref cache);
            if (cached != null && cached.Start == slot)
                return cached.OffsetTicks;

            var kind = fromUtc ? DateTimeKind.Utc : DateTimeKind.Local;
            long first = TimeZoneInfo.Local.GetUtcOffset(new DateTime(slot, kind)).Ticks;
            long last = TimeZoneInfo.Local.GetUtcOffset(new DateTime(Math.Min(slot + SlotTicks - 1, DateTime.MaxValue.Ticks), kind)).Ticks;
            if (first == last)
            {
                Volatile.Write(ref cache, new OffsetSlot(slot, first));
                return first;
            }
            // A slot that holds a change (a zone whose change is off the quarter hour, or the local
            // hour that repeats): look the event itself up, as DateTime.ToLocalTime would.
            return TimeZoneInfo.Local.GetUtcOffset(new DateTime(ticks, kind)).Ticks;
        }

        private static long Clamp(long ticks) => Math.Clamp(ticks, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks);

        private static void Digits(Span<byte> target, int value)
        {
            for (int i = target.Length - 1; i >= 0; i--)
            {
                target[i] = (byte)('0' + (value % 10));
                value /= 10;
            }
        }

        private sealed class OffsetSlot
        {
            public OffsetSlot(long start, long offsetTicks)
            {
                Start = start;
                OffsetTicks = offsetTicks;
            }

            public long Start { get; }

            public long OffsetTicks { get; }
        }
    }
}
