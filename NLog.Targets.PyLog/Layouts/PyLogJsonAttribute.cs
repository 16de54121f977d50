using NLog.Config;
using NLog.Layouts;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// A custom field of <see cref="PyLogJsonLayout"/>: <c>&lt;attribute name="app" layout="${appdomain}" /&gt;</c>.
    /// </summary>
    [NLogConfigurationItem]
    public sealed class PyLogJsonAttribute
    {
        /// <summary>Initializes a new instance of the <see cref="PyLogJsonAttribute"/> class.</summary>
        public PyLogJsonAttribute()
            : this(string.Empty, Layout.Empty)
        {
        }

        /// <summary>Initializes a new instance of the <see cref="PyLogJsonAttribute"/> class.</summary>
        /// <param name="name">The JSON property name.</param>
        /// <param name="layout">The layout rendering the value.</param>
        public PyLogJsonAttribute(string name, Layout layout)
        {
            Name = name;
            Layout = layout;
        }

        /// <summary>Gets or sets the JSON property name.</summary>
        /// <remarks>Default: empty (required). Must not be one of the fixed fields <c>time</c>, <c>level</c>, <c>logger</c>, <c>message</c>, <c>exception</c>.</remarks>
        public string Name { get; set; }

        /// <summary>Gets or sets the layout that renders the value.</summary>
        /// <remarks>Default: empty.</remarks>
        public Layout Layout { get; set; }

        /// <summary>
        /// Gets or sets whether the rendered value is written as a JSON string (<c>true</c>) or
        /// inserted as raw JSON (<c>false</c>, e.g. a nested JSON layout or a number).
        /// </summary>
        /// <remarks>
        /// Default: <c>true</c>. A raw value that is not exactly one valid JSON value is written
        /// as a string instead, so the event always stays valid JSON.
        /// </remarks>
        public bool Encode { get; set; } = true;

        /// <summary>Gets or sets whether the attribute is written when its value renders empty.</summary>
        /// <remarks>Default: <c>false</c> (an empty value omits the attribute).</remarks>
        public bool IncludeEmptyValue { get; set; }
    }
}
