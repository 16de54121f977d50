using NLog.Config;
using NLog.Layouts;

namespace NLog.Targets.PyLog
{
    /// <summary>A <c>LogTag</c> of every LogGroup the SLS target sends: <c>&lt;tag name="..." value="..." /&gt;</c>.</summary>
    [NLogConfigurationItem]
    public sealed class SlsTag
    {
        /// <summary>Creates an empty tag (for the configuration reader).</summary>
        public SlsTag()
        {
        }

        /// <summary>Creates a tag.</summary>
        public SlsTag(string name, Layout value)
        {
            Name = name;
            Value = value;
        }

        /// <summary>The tag key (SLS shows it as <c>__tag__:{name}</c>).</summary>
        /// <remarks>Default: empty (required).</remarks>
        public string Name { get; set; } = string.Empty;

        /// <summary>The tag value; rendered once when the target starts (e.g. <c>${machinename}</c>).</summary>
        /// <remarks>Default: empty.</remarks>
        public Layout Value { get; set; } = Layout.Empty;
    }
}
