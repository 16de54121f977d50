using System;
using System.Runtime.CompilerServices;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// The encoded JSON prefix of top-level property names (<c>,"name":</c>, with the underscore
    /// of a reserved name) and whether the name is masked or excluded, worked out once per name
    /// and layout. A lock-free direct-mapped table shared by all threads: a hit costs one short
    /// string comparison instead of hashing, wildcard matching and escaping; entries are immutable,
    /// so a racing replacement only costs a recomputation.
    /// </summary>
    internal sealed class EncodedNameCache
    {
        private const int Size = 256;
        private const int MaxCachedLength = 64;

        private readonly Entry?[] _entries = new Entry?[Size];
        private readonly Func<string, Entry> _create;

        public EncodedNameCache(Func<string, Entry> create)
        {
            _create = create;
        }

        /// <summary>The entry for <paramref name="name"/>; allocates only on the first use of a name (or after an eviction).</summary>
        public Entry Get(string name)
        {
            if (name.Length == 0 || name.Length > MaxCachedLength)
            {
                return _create(name);
            }

            int slot = (name.Length * 31 + name[0] * 7 + name[name.Length - 1]) & (Size - 1);
            Entry? entry = _entries[slot];
            if (entry != null && (ReferenceEquals(entry.Name, name) || string.Equals(entry.Name, name, StringComparison.Ordinal)))
            {
                return entry;
            }

            entry = _create(name);
            _entries[slot] = entry;
            return entry;
        }

        internal sealed class Entry
        {
            public Entry(string name, byte[] prefix, bool masked, bool excluded)
            {
                Name = name;
                Prefix = prefix;
                Masked = masked;
                Excluded = excluded;
            }

            public string Name { get; }

            /// <summary><c>,"name":</c> (or <c>,"_name":</c>) in UTF-8.</summary>
            public byte[] Prefix { get; }

            public bool Masked { get; }

            public bool Excluded { get; }
        }
    }

    /// <summary>
    /// <c>,"logger":"..."</c> per logger name. A logger's events all carry the same name instance,
    /// so the lookup is by reference: no hashing or comparing of the text.
    /// </summary>
    internal sealed class EncodedLoggerCache
    {
        private const int Size = 256;
        private const int MaxCachedLength = 512;

        private readonly Tuple<string, byte[]>?[] _entries = new Tuple<string, byte[]>?[Size];

        public bool TryGet(string loggerName, out byte[] field)
        {
            Tuple<string, byte[]>? entry = _entries[RuntimeHelpers.GetHashCode(loggerName) & (Size - 1)];
            if (entry != null && ReferenceEquals(entry.Item1, loggerName))
            {
                field = entry.Item2;
                return true;
            }

            field = Array.Empty<byte>();
            return false;
        }

        public void Add(string loggerName, ReadOnlySpan<byte> field)
        {
            if (loggerName.Length <= MaxCachedLength)
            {
                _entries[RuntimeHelpers.GetHashCode(loggerName) & (Size - 1)] = Tuple.Create(loggerName, field.ToArray());
            }
        }
    }
}
