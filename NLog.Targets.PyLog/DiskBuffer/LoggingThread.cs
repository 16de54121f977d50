using System;
using System.Threading;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// The thread an event was logged on, as the buffer keeps it: its name (null when it had none)
    /// and its managed id (what Plumelog's <c>threadName</c> shows for an unnamed thread). One
    /// instance per thread and name, shared by its events; the replay thread takes that name while
    /// it hands them over (renaming a thread costs about 3 µs, so it renames only when the name changes).
    /// </summary>
    internal sealed class LoggingThread
    {
        [ThreadStatic]
        private static LoggingThread? t_current;

        public LoggingThread(string? name, string? managedId)
        {
            Name = name;
            ManagedId = managedId;
        }

        /// <summary>The thread's name; null when it had none.</summary>
        public string? Name { get; }

        /// <summary>The managed thread id; null for a record of the first format, whose name field held the name or the id.</summary>
        public string? ManagedId { get; }

        /// <summary>
        /// The calling thread (the cached instance while its name stays the same). On a replay thread
        /// handing an event over (a buffer wrapped in another), the id is the original logging thread's.
        /// </summary>
        public static LoggingThread Current
        {
            get
            {
                string? name = Thread.CurrentThread.Name;
                string id = Core.OriginThread.CurrentManagedId;
                var current = t_current;
                if (current is null || !ReferenceEquals(current.Name, name) || !ReferenceEquals(current.ManagedId, id))
                    t_current = current = new LoggingThread(name, id);
                return current;
            }
        }
    }
}
