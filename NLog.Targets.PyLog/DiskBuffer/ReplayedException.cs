using System;

namespace NLog.Targets.PyLog.DiskBuffer
{
    /// <summary>
    /// An exception read back from the disk buffer: it carries the original's type name, message,
    /// stack trace and text (<see cref="ToString"/>) as they were at logging time, and its inner
    /// exceptions the same way, so <c>${exception:format=tostring}</c>, PyLogJson and Plumelog render
    /// what they would have rendered for the original.
    /// </summary>
    /// <remarks>
    /// Only <c>GetType()</c> differs; <see cref="OriginalTypeName"/> holds the original's full type name
    /// (PyLogJson writes that).
    /// </remarks>
    public sealed class ReplayedException : Exception
    {
        private readonly string? _stackTrace;
        private readonly string _text;

        internal ReplayedException(string originalTypeName, string message, string? stackTrace, string text, Exception? inner)
            : base(message, inner)
        {
            OriginalTypeName = originalTypeName;
            _stackTrace = stackTrace;
            _text = text;
        }

        /// <summary>The full name of the type of the exception that was logged.</summary>
        public string OriginalTypeName { get; }

        /// <summary>The stack trace of the exception that was logged.</summary>
        public override string? StackTrace => _stackTrace;

        /// <summary>The text (<c>ToString()</c>) of the exception that was logged.</summary>
        public override string ToString() => _text;
    }
}
