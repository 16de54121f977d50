using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using NLog.Targets;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>Thrown by a fake transport for a permanent failure.</summary>
    public sealed class FakeFatalException : Exception
    {
        public FakeFatalException(string message) : base(message) { }
    }

    /// <summary>
    /// An in-process transport over the network base: items are the rendered strings; each
    /// attempt goes through <see cref="Behaviour"/> (default: accept), and accepted batches are
    /// recorded in order.
    /// </summary>
    [Target("FakeNetwork")]
    public sealed class FakeNetworkTarget : PyLogNetworkTarget
    {
        private int _attempts;
        private int _sending;
        private int _maxConcurrentSends;
        private int _rendersDuringSend;

        public FakeNetworkTarget()
        {
            Layout = "${message}";
        }

        /// <summary>Called per attempt; throw to fail it. May settle single items.</summary>
        internal Func<NetworkBatch<string>, CancellationToken, Task>? Behaviour { get; set; }

        /// <summary>Messages whose rendering throws.</summary>
        public string? PoisonRender { get; set; }

        public int MaxEventsPerRequest { get; set; } = int.MaxValue;

        /// <summary>Events rendered while a send was in progress.</summary>
        public int RendersDuringSend => Volatile.Read(ref _rendersDuringSend);

        /// <summary>The most sends seen in progress at once.</summary>
        public int MaxConcurrentSends => Volatile.Read(ref _maxConcurrentSends);

        public ConcurrentQueue<string[]> Batches { get; } = new ConcurrentQueue<string[]>();

        public int Attempts => Volatile.Read(ref _attempts);

        public int DeliveredCount
        {
            get
            {
                int n = 0;
                foreach (var b in Batches)
                    n += b.Length;
                return n;
            }
        }

        public List<string> Delivered()
        {
            var all = new List<string>();
            foreach (var b in Batches)
                all.AddRange(b);
            return all;
        }

        private protected override NetworkTransport CreateTransport() => new FakeTransport(this);

        private sealed class FakeTransport : BatchTransport<string>
        {
            private readonly FakeNetworkTarget _target;

            public FakeTransport(FakeNetworkTarget target) => _target = target;

            public override int MaxRequestEvents => _target.MaxEventsPerRequest;

            public override string Render(LogEventInfo logEvent, out int sizeBytes, out string? key)
            {
                if (Volatile.Read(ref _target._sending) != 0)
                    Interlocked.Increment(ref _target._rendersDuringSend);
                var text = _target.Layout.Render(logEvent);
                if (_target.PoisonRender != null && text == _target.PoisonRender)
                    throw new FormatException("cannot render " + text);
                sizeBytes = Encoding.UTF8.GetByteCount(text);
                key = null;
                return text;
            }

            public override async Task SendAsync(NetworkBatch<string> batch, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref _target._attempts);
                int sending = Interlocked.Increment(ref _target._sending);
                int seen;
                while ((seen = Volatile.Read(ref _target._maxConcurrentSends)) < sending && Interlocked.CompareExchange(ref _target._maxConcurrentSends, sending, seen) != seen)
                {
                }
                try
                {
                    var behaviour = _target.Behaviour;
                    if (behaviour != null)
                        await behaviour(batch, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _target._sending);
                }
                var accepted = new List<string>();
                for (int i = 0; i < batch.Count; i++)
                {
                    if (!batch.IsSettled(i))
                        accepted.Add(batch[i]);
                }
                _target.Batches.Enqueue(accepted.ToArray());
            }

            public override FailureKind Classify(Exception exception)
            {
                return exception is FakeFatalException ? FailureKind.Fatal : FailureKind.Retriable;
            }
        }
    }
}
