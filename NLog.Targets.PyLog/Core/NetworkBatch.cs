using System;
using System.Threading;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// One batch of rendered items on its way to a transport, with the events they came from.
    /// A transport may settle single items (<see cref="MarkDelivered"/>, <see cref="Reject"/>),
    /// for instance from per-message delivery reports; on a retry it sends only the items that
    /// are not settled yet.
    /// </summary>
    /// <typeparam name="TItem">The transport's rendered form of one event.</typeparam>
    public sealed class NetworkBatch<TItem>
    {
        private const int Pending = 0;
        private const int Delivered = 1;
        private const int Rejected = 2;

        private TItem[] _items;
        private LogEventInfo[] _events;
        private int[] _states;
        private bool[] _accounted;
        private string?[] _reasons;
        private Exception?[] _errors;
        private int _settled;

        internal NetworkBatch(int capacity)
        {
            capacity = Math.Max(capacity, 4);
            _items = new TItem[capacity];
            _events = new LogEventInfo[capacity];
            _states = new int[capacity];
            _accounted = new bool[capacity];
            _reasons = new string?[capacity];
            _errors = new Exception?[capacity];
        }

        /// <summary>Number of items in the batch.</summary>
        public int Count { get; private set; }

        /// <summary>Sum of the rendered sizes of the items, in bytes.</summary>
        public long Bytes { get; private set; }

        /// <summary>Items not yet delivered or rejected.</summary>
        public int PendingCount => Count - Volatile.Read(ref _settled);

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

        internal long FirstEventTimestamp { get; private set; }

        /// <summary>The event the item at <paramref name="index"/> was rendered from.</summary>
        public LogEventInfo GetEvent(int index)
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index));
            return _events[index];
        }

        /// <summary>True once the item has been delivered or rejected.</summary>
        public bool IsSettled(int index) => Volatile.Read(ref _states[index]) != Pending;

        /// <summary>Records that the item reached the destination. Safe to call from any thread for distinct indices.</summary>
        public void MarkDelivered(int index) => Settle(index, Delivered, null, null);

        /// <summary>
        /// Records that the destination refused the item for good; it is counted as dropped with
        /// <paramref name="reason"/> (one of <see cref="DropReasons"/>) and not sent again.
        /// </summary>
        public void Reject(int index, string reason, Exception? exception)
        {
            if (string.IsNullOrEmpty(reason))
                throw new ArgumentException("A drop reason is required.", nameof(reason));
            Settle(index, Rejected, reason, exception);
        }

        private void Settle(int index, int state, string? reason, Exception? exception)
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index));
            _reasons[index] = reason;
            _errors[index] = exception;
            if (Interlocked.CompareExchange(ref _states[index], state, Pending) == Pending)
                Interlocked.Increment(ref _settled);
        }

        internal void Add(TItem item, LogEventInfo logEvent, int sizeBytes, long timestamp)
        {
            if (Count == _items.Length)
                Grow();
            if (Count == 0)
                FirstEventTimestamp = timestamp;
            _items[Count] = item;
            _events[Count] = logEvent;
            Bytes += sizeBytes;
            Count++;
        }

        /// <summary>Walks settled items not yet accounted for; the callback sees each once.</summary>
        internal void AccountSettled(Action<LogEventInfo, bool, string?, Exception?, object> callback, object state)
        {
            for (int i = 0; i < Count; i++)
            {
                if (_accounted[i])
                    continue;
                int itemState = Volatile.Read(ref _states[i]);
                if (itemState == Pending)
                    continue;
                _accounted[i] = true;
                callback(_events[i], itemState == Delivered, _reasons[i], _errors[i], state);
            }
        }

        internal void Reset()
        {
            Array.Clear(_items, 0, Count);
            Array.Clear(_events, 0, Count);
            Array.Clear(_states, 0, Count);
            Array.Clear(_accounted, 0, Count);
            Array.Clear(_reasons, 0, Count);
            Array.Clear(_errors, 0, Count);
            Count = 0;
            Bytes = 0;
            _settled = 0;
            FirstEventTimestamp = 0;
        }

        private void Grow()
        {
            int size = _items.Length * 2;
            Array.Resize(ref _items, size);
            Array.Resize(ref _events, size);
            Array.Resize(ref _states, size);
            Array.Resize(ref _accounted, size);
            Array.Resize(ref _reasons, size);
            Array.Resize(ref _errors, size);
        }
    }
}
