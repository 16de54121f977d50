using System;
using System.Collections.Generic;
using System.Text;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// Per-thread scratch space for one rendering: the output buffer and the arrays the
    /// properties are copied into. Taken from the thread's slot and put back afterwards, so a
    /// nested rendering on the same thread (a PyLogJson layout inside an attribute) gets its own.
    /// </summary>
    internal sealed class JsonRenderContext
    {
        // A huge event (a multi-megabyte message) must not pin its buffer for the thread's lifetime.
        private const int MaxRetainedBytes = 1024 * 1024;

        /// <summary>The deepest nesting the writer follows (the upper bound of MaxRecursionLimit).</summary>
        public const int MaxDepth = 64;

        [ThreadStatic]
        private static JsonRenderContext? t_cached;

        private readonly object?[] _ancestors = new object?[MaxDepth + 1];
        private int _ancestorCount;

        public Utf8JsonBuffer Buffer { get; private set; } = new Utf8JsonBuffer();

        public KeyValuePair<object, object?>[] EventProperties = new KeyValuePair<object, object?>[16];

        public KeyValuePair<string, object?>[] ScopeProperties = new KeyValuePair<string, object?>[16];

        /// <summary>How many entries of <see cref="EventProperties"/> hold references (cleared on release).</summary>
        public int EventPropertyCount;

        /// <summary>How many entries of <see cref="ScopeProperties"/> hold references (cleared on release).</summary>
        public int ScopePropertyCount;

        public StringBuilder Builder { get; } = new StringBuilder(128);

        /// <summary>
        /// The last <c>time</c> value this thread wrote, keyed by the timestamp: consecutive events
        /// often share a timestamp (NLog's default time source ticks every few milliseconds), and
        /// converting and formatting it is a large part of a small event's cost.
        /// </summary>
        public TimeCache LastTime { get; } = new TimeCache();

        public static JsonRenderContext Acquire()
        {
            JsonRenderContext? context = t_cached;
            if (context is null)
            {
                return new JsonRenderContext();
            }

            t_cached = null;
            return context;
        }

        public static void Release(JsonRenderContext context)
        {
            // Drop references to the application's objects before the context is parked.
            Array.Clear(context.EventProperties, 0, Math.Min(context.EventPropertyCount, context.EventProperties.Length));
            Array.Clear(context.ScopeProperties, 0, Math.Min(context.ScopePropertyCount, context.ScopeProperties.Length));
            context.EventPropertyCount = 0;
            context.ScopePropertyCount = 0;
            Array.Clear(context._ancestors, 0, context._ancestorCount);
            context._ancestorCount = 0;
            if (context.Buffer.Capacity > MaxRetainedBytes)
            {
                context.Buffer = new Utf8JsonBuffer();
            }

            context.Buffer.Clear();
            if (context.Builder.Capacity > MaxRetainedBytes)
            {
                context.Builder.Capacity = 128;
            }

            context.Builder.Clear();
            t_cached = context;
        }

        /// <summary>Is <paramref name="value"/> already being written further up (a cycle)?</summary>
        public bool IsAncestor(object value)
        {
            for (int i = 0; i < _ancestorCount; i++)
            {
                if (ReferenceEquals(_ancestors[i], value))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Records <paramref name="value"/> as being written; false when the stack is full (treated as too deep).</summary>
        public bool PushAncestor(object value)
        {
            if (_ancestorCount == _ancestors.Length)
            {
                return false;
            }

            _ancestors[_ancestorCount++] = value;
            return true;
        }

        public void PopAncestor()
        {
            _ancestors[--_ancestorCount] = null;
        }
    }

    /// <summary>One formatted timestamp (see <see cref="JsonRenderContext.LastTime"/>).</summary>
    internal sealed class TimeCache
    {
        private readonly byte[] _formatted = new byte[48];
        private long _ticks = -1;
        private DateTimeKind _kind;
        private bool _local;
        private int _length;

        public bool TryGet(DateTime timeStamp, bool local, out ReadOnlySpan<byte> formatted)
        {
            if (timeStamp.Ticks == _ticks && timeStamp.Kind == _kind && local == _local)
            {
                formatted = new ReadOnlySpan<byte>(_formatted, 0, _length);
                return true;
            }

            formatted = default;
            return false;
        }

        public void Set(DateTime timeStamp, bool local, ReadOnlySpan<byte> formatted)
        {
            if (formatted.Length > _formatted.Length)
            {
                _ticks = -1;
                return;
            }

            formatted.CopyTo(_formatted);
            _length = formatted.Length;
            _ticks = timeStamp.Ticks;
            _kind = timeStamp.Kind;
            _local = local;
        }
    }
}
