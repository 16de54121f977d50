using System;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// Add and remove on an array that readers take with one volatile read and never lock: every
    /// change publishes a new array. Callers serialise the changes (hold their lock).
    /// </summary>
    internal static class CopyOnWriteArray
    {
        public static T[] With<T>(T[] items, T item)
        {
            var next = new T[items.Length + 1];
            Array.Copy(items, next, items.Length);
            next[items.Length] = item;
            return next;
        }

        public static T[] Without<T>(T[] items, T item)
        {
            int index = Array.IndexOf(items, item);
            if (index < 0)
                return items;
            var next = new T[items.Length - 1];
            Array.Copy(items, 0, next, 0, index);
            Array.Copy(items, index + 1, next, index, items.Length - index - 1);
            return next;
        }
    }
}
