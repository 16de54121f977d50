using System;
using System.Threading;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>A clock the test moves by hand; its local time zone is UTC so periods are predictable.</summary>
    internal sealed class FilesFakeClock : TimeProvider
    {
        private long _utcTicks;

        public FilesFakeClock(DateTime utc)
        {
            _utcTicks = DateTime.SpecifyKind(utc, DateTimeKind.Utc).Ticks;
        }

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

        public DateTime UtcNow => new DateTime(Interlocked.Read(ref _utcTicks), DateTimeKind.Utc);

        public override DateTimeOffset GetUtcNow() => new DateTimeOffset(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);

        public void Set(DateTime utc) => Interlocked.Exchange(ref _utcTicks, DateTime.SpecifyKind(utc, DateTimeKind.Utc).Ticks);
    }
}
