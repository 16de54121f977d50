using System;
using System.Buffers;
using System.Reflection;
using System.Text;
using NLog.Layouts;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// A layout that can render an event straight to UTF-8, without an intermediate string.
    /// The network targets use it for their payloads; any other layout is rendered to a string
    /// and encoded.
    /// </summary>
    public interface IUtf8Layout
    {
        /// <summary>Appends the UTF-8 rendering of <paramref name="logEvent"/> to <paramref name="output"/>.</summary>
        void RenderUtf8(LogEventInfo logEvent, IBufferWriter<byte> output);
    }

    /// <summary>Renders any NLog layout to UTF-8, taking the direct path when the layout has one.</summary>
    internal static class Utf8LayoutRenderer
    {
        /// <summary>
        /// Finds the layout the user configured behind NLog's context wrapper:
        /// <c>TargetWithContext.Layout</c> (so every <c>AsyncTaskTarget</c>) returns an internal
        /// <c>TargetWithContextLayout</c> that only forwards to the configured layout, which hides
        /// <see cref="IUtf8Layout"/>. Call once at initialization; if NLog renames the property the
        /// string path still works.
        /// </summary>
        public static Layout Unwrap(Layout layout)
        {
            if (layout is IUtf8Layout)
                return layout;
            var inner = layout.GetType().GetProperty("TargetLayout", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(layout) as Layout;
            return inner is IUtf8Layout ? inner : layout;
        }

        public static void Render(Layout layout, LogEventInfo logEvent, IBufferWriter<byte> output)
        {
            if (layout is IUtf8Layout utf8)
            {
                utf8.RenderUtf8(logEvent, output);
                return;
            }

            string text = layout.Render(logEvent);
            Encoding.UTF8.GetBytes(text.AsSpan(), output);
        }

        /// <summary>
        /// NLog 6.2 only logs a layout's configuration error; a target carrying a PyLogJson or Plumelog layout
        /// calls this from <c>InitializeTarget</c> so that an invalid option fails the load.
        /// </summary>
        public static void ThrowIfInvalid(Layout? layout)
        {
            if (layout is null)
                return;
            var inner = Unwrap(layout);
            if (inner is PyLogJsonLayout json)
                json.ThrowIfInvalid();
            else if (inner is PlumelogLayout plumelog)
                plumelog.ThrowIfInvalid();
        }

        /// <summary>Renders to a new array of exactly the rendered length (for APIs that take <c>byte[]</c>).</summary>
        public static byte[] RenderToArray(Layout layout, LogEventInfo logEvent, ArrayBufferWriter<byte> scratch)
        {
            scratch.ResetWrittenCount();
            Render(layout, logEvent, scratch);
            return scratch.WrittenSpan.ToArray();
        }
    }
}
