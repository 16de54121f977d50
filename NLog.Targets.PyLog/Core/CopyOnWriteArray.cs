using System;
using System.Threading;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Adds to and removes from an array that readers take without a lock (they read the field once
    /// and keep that snapshot); writers replace the whole array under their own lock.
    /// </summary>
    internal static class CopyOnWriteArray
    {
        /// <summary>Publishes a copy of <paramref name="array"/> with <paramref name="item"/> appended. Caller holds the writers' lock.</summary>
        public static void Add<T>(ref T[] array, T item)
        {
            var next = new T[array.Length + 1];
            Array.Copy(array, next, array.Length);
            next[array.Length] = item;
            Volatile.Write(ref array, next);
        }

        /// <summary>Publishes a copy of <paramref name="array"/> without <paramref name="item"/>; false when it was not there. Caller holds the writers' lock.</summary>
        public static bool Remove<T>(ref T[] array, T item)
            where T : class
        {
            int index = Array.IndexOf(array, item);
            if (index < 0)
                return false;
            var next = new T[array.Length - 1];
            Array.Copy(array, 0, next, 0, index);
            Array.Copy(array, index + 1, next, index, array.Length - index - 1);
            Volatile.Write(ref array, next);
            return true;
        }
    }
}
