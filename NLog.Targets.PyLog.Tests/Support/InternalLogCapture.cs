using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using NLog.Common;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>Captures NLog's internal log (the messages targets write through InternalLogger) for one test.</summary>
    public sealed class InternalLogCapture : IDisposable
    {
        private readonly LogLevel _previousLevel;
        private readonly ConcurrentQueue<InternalLogEventArgs> _messages = new ConcurrentQueue<InternalLogEventArgs>();

        public InternalLogCapture(LogLevel level)
        {
            _previousLevel = InternalLogger.LogLevel;
            InternalLogger.LogLevel = level;
            InternalLogger.InternalEventOccurred += OnMessage;
        }

        /// <summary>Each message as "Level message | exception".</summary>
        public IReadOnlyCollection<string> Lines => _messages.Select(Format).ToArray();

        public string All => string.Join("\n", Lines);

        /// <summary>Messages of the given level mentioning <paramref name="text"/> (e.g. the target's name).</summary>
        public IReadOnlyList<InternalLogEventArgs> Find(LogLevel level, string text)
        {
            return _messages.Where(m => m.Level == level && m.Message.Contains(text, StringComparison.Ordinal)).ToList();
        }

        public string Dump() => string.Join(Environment.NewLine, _messages.Select(m => m.Level + " " + m.Message));

        public void Dispose()
        {
            InternalLogger.InternalEventOccurred -= OnMessage;
            InternalLogger.LogLevel = _previousLevel;
        }

        private static string Format(InternalLogEventArgs e) => e.Level + " " + e.Message + (e.Exception is null ? string.Empty : " | " + e.Exception);

        private void OnMessage(object? sender, InternalLogEventArgs e) => _messages.Enqueue(e);
    }
}
