using System;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// The managed id of the thread an event was logged on, while DiskBufferWrapper's replay thread
    /// hands that event over (null otherwise). The replay thread takes the logging thread's name
    /// itself, but it cannot take its id: layouts that show the id of an unnamed thread (Plumelog's
    /// <c>threadName</c>) read it here first.
    /// </summary>
    internal static class OriginThread
    {
        [ThreadStatic]
        private static string? t_managedId;

        public static string? ManagedId
        {
            get => t_managedId;
            set => t_managedId = value;
        }

        [ThreadStatic]
        private static string? t_ownId;

        /// <summary>
        /// The logging thread's managed id as text: the origin's during a hand-over, else the calling
        /// thread's (one cached string per thread, so callers may compare by reference).
        /// </summary>
        public static string CurrentManagedId
            => t_managedId ?? (t_ownId ??= Environment.CurrentManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
