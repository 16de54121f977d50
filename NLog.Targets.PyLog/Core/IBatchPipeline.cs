using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using NLog.Common;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>The batching pipeline of a network target, without its item type (see <see cref="BatchPipeline{TItem}"/>).</summary>
    internal interface IBatchPipeline : IDisposable
    {
        /// <summary>Events held by the pipeline (open batch and batches not finished yet).</summary>
        long BufferedCount { get; }

        /// <summary>True while the last attempt to reach the server failed (reset by the next success).</summary>
        bool IsServerDown { get; }

        /// <summary>True when a flush answers at once while the server is down (see <see cref="FlushAsync"/>).</summary>
        bool AnswersFlushWhenDown { get; }

        /// <summary>Renders the events into batches; completes when they have joined one (not when delivered).</summary>
        Task WriteAsync(IList<LogEventInfo> events);

        /// <summary>Completes when everything written so far has its outcome, or, with unbounded retries, as soon as the server is known to be down.</summary>
        Task FlushAsync();

        /// <summary>
        /// Delivers what it holds and what <paramref name="takeQueued"/> still hands it (NLog's queue)
        /// until <paramref name="budget"/> runs out, then gives up on the rest (reported as
        /// <c>shutdown</c>); returns how many events it abandoned.
        /// </summary>
        Task<int> CloseAsync(TimeSpan budget, Func<List<AsyncLogEventInfo>> takeQueued);
    }
}
