using System;
using System.Collections.Generic;
using System.Threading;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// One batch of rendered items on its way to a transport, with the events they came from and
    /// each item's routing key (a Redis key, an SLS shard key; null when the transport has none).
    /// A transport may settle single items (<see cref="MarkDelivered"/>, <see cref="Reject"/>),
    /// for instance from per-message delivery reports; a retry sends only the items not settled yet.
    /// </summary>
    /// <typeparam name="TItem">The transport's rendered form of one event.</typeparam>
    internal sealed class NetworkBatch<TItem>
    {
        private const int Pending = 0;
        private const int Delivered = 1;
        private const int Rejected = 2;

        private readonly List<string?> _keys = new List<string?>();
        private TItem[] _items;
        private LogEventInfo[] _events;
        private string?[] _itemKeys;
        private int[] _states;
        private string?[] _reasons;
        private Exception?[] _errors;
        private int _settled;
        private int _finished;

        internal NetworkBatch(int capacity)
        {
            capacity = Math.Max(capacity, 4);
            _items = new TItem[capacity];
            _events = new LogEventInfo[capacity];
            _itemKeys = new string?[capacity];
            _states = new int[capacity];
            _reasons = new string?[capacity];
            _errors = new Exception?[capacity];
        }

        /// <summary>Number of items in the batch.</summary>
        public int Count { get; private set; }

        /// <summary>Sum of the rendered sizes of the items, in bytes.</summary>
        public long Bytes { get; private set; }

        /// <summary>Items not yet delivered or rejected.</summary>
        public int PendingCount => Count - Volatile.Read(ref _settled);

        /// <summary>The events of the batch, in order (valid until the batch is recycled).</summary>
        public ArraySegment<LogEventInfo> Events => new ArraySegment<LogEventInfo>(_events, 0, Count);

        internal long FirstEventTimestamp { get; private set; }

        /// <summary>The rendered item at <paramref name="index"/>.</summary>
        public TItem this[int index]
        {
            get
            {
                if ((uint)index >= (uint)Count)
                    throw new ArgumentOutOfRangeException(nameof(index));
                return _items[index];
            }
        }

        /// <summary>The event the item at <paramref name="index"/> was rendered from.</summary>
        public LogEventInfo GetEvent(int index)
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index));
            return _events[index];
        }

        /// <summary>The routing key of the item at <paramref name="index"/> (null when the transport has none).</summary>
        public string? KeyOf(int index)
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index));
            return _itemKeys[index];
        }

        /// <summary>True once the item has been delivered or rejected.</summary>
        public bool IsSettled(int index) => Volatile.Read(ref _states[index]) != Pending;

        /// <summary>True when the item is delivered (false while pending or when rejected).</summary>
        internal bool IsDelivered(int index) => Volatile.Read(ref _states[index]) == Delivered;

        internal string? RejectReason(int index) => _reasons[index];

        internal Exception? RejectError(int index) => _errors[index];

        /// <summary>
        /// The distinct keys of the unsettled items, in order of first appearance (one request per
        /// key). The list is reused by the next call.
        /// </summary>
        public IReadOnlyList<string?> PendingKeys()
        {
            _keys.Clear();
            string? last = null;
            bool any = false;
            for (int i = 0; i < Count; i++)
            {
                if (IsSettled(i))
                    continue;
                string? key = _itemKeys[i];
                if (any && (ReferenceEquals(key, last) || key == last))
                    continue;
                any = true;
                last = key;
                if (!_keys.Contains(key))
                    _keys.Add(key);
            }
            return _keys;
        }

        /// <summary>True when the item at <paramref name="index"/> is unsettled and has <paramref name="key"/>.</summary>
        public bool IsPendingWithKey(int index, string? key) => !IsSettled(index) && _itemKeys[index] == key;

        /// <summary>How many unsettled items have <paramref name="key"/>.</summary>
        public int CountPendingWithKey(string? key)
        {
            int count = 0;
            for (int i = 0; i < Count; i++)
            {
                if (IsPendingWithKey(i, key))
                    count++;
            }
            return count;
        }

        /// <summary>Marks every unsettled item with <paramref name="key"/> delivered (its request succeeded).</summary>
        public void MarkDeliveredWithKey(string? key)
        {
            for (int i = 0; i < Count; i++)
            {
                if (IsPendingWithKey(i, key))
                    MarkDelivered(i);
            }
        }

        /// <summary>Records that the item reached the destination. Safe from any thread for distinct indices.</summary>
        public void MarkDelivered(int index) => Settle(index, Delivered, null, null);

        /// <summary>
        /// Records that the destination refused the item for good: it is reported dropped with
        /// <paramref name="reason"/> (one of <see cref="DropReasons"/>, permanent) and not sent again.
        /// </summary>
        public void Reject(int index, string reason, Exception? exception)
        {
            if (string.IsNullOrEmpty(reason))
                throw new ArgumentException("A drop reason is required.", nameof(reason));
            Settle(index, Rejected, reason, exception);
        }

        /// <summary>Claims the batch's one final accounting; false when it was already done (close gave up on it first, or the other way round).</summary>
        internal bool TryFinish() => Interlocked.Exchange(ref _finished, 1) == 0;

        internal void Add(TItem item, LogEventInfo logEvent, int sizeBytes, string? key, long timestamp)
        {
            if (Count == _items.Length)
                Grow();
            if (Count == 0)
                FirstEventTimestamp = timestamp;
            _items[Count] = item;
            _events[Count] = logEvent;
            _itemKeys[Count] = key;
            Bytes += sizeBytes;
            Count++;
        }

        internal void Reset()
        {
            Array.Clear(_items, 0, Count);
            Array.Clear(_events, 0, Count);
            Array.Clear(_itemKeys, 0, Count);
            Array.Clear(_states, 0, Count);
            Array.Clear(_reasons, 0, Count);
            Array.Clear(_errors, 0, Count);
            _keys.Clear();
            Count = 0;
            Bytes = 0;
            _settled = 0;
            _finished = 0;
            FirstEventTimestamp = 0;
        }

        private void Settle(int index, int state, string? reason, Exception? exception)
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index));
            if (Volatile.Read(ref _finished) != 0)
                return;   // accounted for already (closing gave up on it): a late report changes nothing
            _reasons[index] = reason;
            _errors[index] = exception;
            if (Interlocked.CompareExchange(ref _states[index], state, Pending) == Pending)
                Interlocked.Increment(ref _settled);
        }

        private void Grow()
        {
            int size = _items.Length * 2;
            Array.Resize(ref _items, size);
            Array.Resize(ref _events, size);
            Array.Resize(ref _itemKeys, size);
            Array.Resize(ref _states, size);
            Array.Resize(ref _reasons, size);
            Array.Resize(ref _errors, size);
        }
    }
}
