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
    public sealed class FakeNetworkTarget : PyLogNetworkTarget<string>
    {
        private int _attempts;
        private int _sending;
        private int _rendersDuringSend;

        public FakeNetworkTarget()
        {
            Layout = "${message}";
        }

        /// <summary>Called per attempt; throw to fail it. May settle single items.</summary>
        public Func<NetworkBatch<string>, CancellationToken, Task>? Behaviour { get; set; }

        /// <summary>Messages whose rendering throws.</summary>
        public string? PoisonRender { get; set; }

        public int MaxEventsPerRequest { get; set; } = int.MaxValue;

        /// <summary>Opts in to rendering the next batch while one is being sent.</summary>
        public bool Overlap { get; set; }

        /// <summary>Events rendered while a send was in progress.</summary>
        public int RendersDuringSend => Volatile.Read(ref _rendersDuringSend);

        protected override bool OverlapRenderingWithSend => Overlap;

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

        protected override int MaxTransportBatchEvents => MaxEventsPerRequest;

        protected override string RenderItem(LogEventInfo logEvent, out int sizeBytes)
        {
            if (Volatile.Read(ref _sending) != 0)
                Interlocked.Increment(ref _rendersDuringSend);
            var text = RenderLogEvent(Layout, logEvent);
            if (PoisonRender != null && text == PoisonRender)
                throw new FormatException("cannot render " + text);
            sizeBytes = Encoding.UTF8.GetByteCount(text);
            return text;
        }

        protected override async Task SendBatchAsync(NetworkBatch<string> batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            Volatile.Write(ref _sending, 1);
            try
            {
                if (Behaviour != null)
                    await Behaviour(batch, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _sending, 0);
            }
            var accepted = new List<string>();
            for (int i = 0; i < batch.Count; i++)
            {
                if (!batch.IsSettled(i))
                    accepted.Add(batch[i]);
            }
            Batches.Enqueue(accepted.ToArray());
        }

        protected override FailureKind ClassifyFailure(Exception exception)
        {
            return exception is FakeFatalException ? FailureKind.Fatal : FailureKind.Retriable;
        }
    }
}
