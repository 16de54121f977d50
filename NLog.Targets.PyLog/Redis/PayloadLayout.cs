using System.Reflection;
using NLog.Layouts;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>
    /// Finds the layout the user configured behind NLog's context wrapper: <c>TargetWithContext.Layout</c>
    /// returns an internal <c>TargetWithContextLayout</c> whose rendering only forwards to the configured
    /// layout, which hides <see cref="IUtf8Layout"/> and would force the string path for every event.
    /// </summary>
    internal static class PayloadLayout
    {
        public static Layout Unwrap(Layout layout)
        {
            if (layout is IUtf8Layout)
                return layout;
            // Looked up once per target initialization; if NLog renames it, the string path still works.
            var inner = layout.GetType().GetProperty("TargetLayout", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(layout) as Layout;
            return inner is IUtf8Layout ? inner : layout;
        }
    }
}
