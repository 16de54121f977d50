using System;
using System.Text.Json;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// The masking rules of the package's layouts in one piece, so that every layout that writes
    /// event or scope properties hides the same values the same way: names and <c>*</c> wildcards
    /// (case-insensitive) masked at every depth, objects deeper than the limit written as a
    /// placeholder (never their <c>ToString()</c>), and the message formatted again when one of
    /// its holes names a masked property or holds an object.
    /// </summary>
    /// <remarks>
    /// PyLogJson writes through <see cref="Values"/> into its own buffer; a layout built on
    /// <see cref="Utf8JsonWriter"/> (Plumelog) calls <see cref="WriteValue"/> for a property
    /// value, <see cref="IsMasked"/> for its name and <see cref="FormatMessage"/> for its content.
    /// </remarks>
    internal sealed class PropertyMasking
    {
        private PropertyMasking(PropertyNameMatcher names, JsonValueWriter values)
        {
            Names = names;
            Values = values;
        }

        /// <summary>The mask <c>"***"</c> as a JSON string.</summary>
        public static ReadOnlySpan<byte> MaskedValue => JsonValueWriter.MaskedValue;

        public PropertyNameMatcher Names { get; }

        public JsonValueWriter Values { get; }

        /// <summary>Nothing is masked (no names configured).</summary>
        public bool IsEmpty => Names.IsEmpty;

        /// <summary>
        /// Parses <paramref name="maskProperties"/>; an invalid list throws the
        /// <see cref="NLogConfigurationException"/> naming <paramref name="owner"/> and the property.
        /// </summary>
        /// <param name="maskProperties">The configured list (<c>password,*token*</c>); empty masks nothing.</param>
        /// <param name="maxRecursionLimit">Levels of nested objects written as JSON (0 to 64).</param>
        /// <param name="maxInnerExceptionLevel">Levels of inner exceptions written under an exception.</param>
        /// <param name="owner">The layout, for the message (<c>PyLogJson</c>).</param>
        public static PropertyMasking Create(string? maskProperties, int maxRecursionLimit, int maxInnerExceptionLevel, string owner)
        {
            if (maxRecursionLimit < 0 || maxRecursionLimit > JsonRenderContext.MaxDepth)
            {
                throw new NLogConfigurationException($"{owner}: MaxRecursionLimit must be between 0 and {JsonRenderContext.MaxDepth}, was {maxRecursionLimit}.");
            }

            if (maxInnerExceptionLevel < 0)
            {
                throw new NLogConfigurationException($"{owner}: MaxInnerExceptionLevel must be 0 or greater, was {maxInnerExceptionLevel}.");
            }

            PropertyNameMatcher? names = PropertyNameMatcher.Parse(maskProperties, out string? error);
            if (names is null)
            {
                throw new NLogConfigurationException($"{owner}: MaskProperties {error} ('{maskProperties}'); use a comma-separated list of names or * wildcards such as 'password,*token*'.");
            }

            return new PropertyMasking(names, new JsonValueWriter(names, maxRecursionLimit, maxInnerExceptionLevel));
        }

        /// <summary>Is a property, attribute or member of this name written as <c>"***"</c>?</summary>
        public bool IsMasked(string name) => Values.IsMasked(name);

        /// <summary>The event's message with masked holes as <c>***</c> and object holes as masked JSON.</summary>
        public string FormatMessage(LogEventInfo logEvent) => MessageTemplateMasking.Format(logEvent, Values);

        /// <summary>
        /// Writes a property value (its name already written): scalars as JSON scalars, objects,
        /// dictionaries and collections as nested JSON with masked members and the depth limit.
        /// Never throws for a hostile value (a throwing getter is written as an error string).
        /// </summary>
        public void WriteValue(Utf8JsonWriter writer, object? value)
        {
            writer.WriteRawValue(Values.RenderJson(value), skipInputValidation: true);
        }

        /// <summary>A property value as text, for a field that must be a string: a scalar's text, else its masked JSON.</summary>
        public string RenderText(object? value)
        {
            return value switch
            {
                null => string.Empty,
                string text => text,
                IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                IConvertible convertible => convertible.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => Values.RenderJson(value),
            };
        }
    }
}
