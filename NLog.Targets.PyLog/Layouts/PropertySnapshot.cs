using System;
using System.Collections.Generic;
using System.Linq.Expressions;
using System.Reflection;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// Copies the event properties and scope properties into a caller-owned array without
    /// allocating. NLog's public API only enumerates them through interfaces (an enumerator
    /// object per call); NLog's own struct enumerators are internal. The copy delegates are
    /// compiled once against those enumerators and, when a future NLog renames them, the
    /// public (allocating) enumeration is used instead — output is the same either way.
    /// </summary>
    internal static class PropertySnapshot
    {
        private delegate int CopyEventProperties(IDictionary<object, object?> properties, KeyValuePair<object, object?>[] buffer);

        private delegate int CopyScopeProperties(KeyValuePair<string, object?>[] buffer);

        private static readonly Type? s_propertiesDictionaryType;
        private static readonly CopyEventProperties? s_copyEventProperties = BuildEventPropertiesCopy(out s_propertiesDictionaryType);
        private static readonly CopyScopeProperties? s_copyScopeProperties = BuildScopePropertiesCopy();

        [ThreadStatic]
        private static bool t_disableFastPath;

        /// <summary>For tests: forces the public enumeration path on the calling thread.</summary>
        internal static bool DisableFastPath
        {
            get => t_disableFastPath;
            set => t_disableFastPath = value;
        }

        internal static bool HasFastEventPath => s_copyEventProperties != null;

        internal static bool HasFastScopePath => s_copyScopeProperties != null;

        /// <summary>Copies the properties of <paramref name="properties"/> into <paramref name="buffer"/> (grown when needed); returns the count.</summary>
        public static int CopyEvent(IDictionary<object, object?> properties, ref KeyValuePair<object, object?>[] buffer)
        {
            if (s_copyEventProperties != null && !DisableFastPath && properties.GetType() == s_propertiesDictionaryType)
            {
                int count = s_copyEventProperties(properties, buffer);
                if (count >= 0)
                {
                    return count;
                }

                buffer = new KeyValuePair<object, object?>[Math.Max(properties.Count, buffer.Length * 2)];
                count = s_copyEventProperties(properties, buffer);
                if (count >= 0)
                {
                    return count;
                }
            }

            int i = 0;
            foreach (KeyValuePair<object, object?> property in properties)
            {
                if (i == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                buffer[i++] = property;
            }

            return i;
        }

        /// <summary>Copies the current <see cref="ScopeContext"/> properties into <paramref name="buffer"/>; returns the count.</summary>
        public static int CopyScope(ref KeyValuePair<string, object?>[] buffer)
        {
            if (s_copyScopeProperties != null && !DisableFastPath)
            {
                int count = s_copyScopeProperties(buffer);
                while (count < 0)
                {
                    buffer = new KeyValuePair<string, object?>[buffer.Length * 2];
                    count = s_copyScopeProperties(buffer);
                }

                return count;
            }

            int i = 0;
            foreach (KeyValuePair<string, object?> property in ScopeContext.GetAllProperties())
            {
                if (i == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                buffer[i++] = property;
            }

            return i;
        }

        private static CopyEventProperties? BuildEventPropertiesCopy(out Type? dictionaryType)
        {
            dictionaryType = null;
            try
            {
                Type? type = typeof(LogEventInfo).Assembly.GetType("NLog.Internal.PropertiesDictionary");
                MethodInfo? getEnumerator = type?.GetMethod("GetPropertyEnumerator", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes);
                if (type is null || getEnumerator is null)
                {
                    return null;
                }

                ParameterExpression properties = Expression.Parameter(typeof(IDictionary<object, object?>), "properties");
                ParameterExpression buffer = Expression.Parameter(typeof(KeyValuePair<object, object?>[]), "buffer");
                ParameterExpression typed = Expression.Variable(type, "typed");
                Expression? body = BuildCopyLoop(Expression.Call(typed, getEnumerator), buffer, typeof(KeyValuePair<object, object?>), null);
                if (body is null)
                {
                    return null;
                }

                // Once an event has properties besides the message's, NLog keeps them all in one
                // Dictionary<object, PropertyValue>; its own enumerator re-checks every entry against
                // the message parameters, so walking the dictionary directly is several times faster.
                FieldInfo? eventProperties = type.GetField("_eventProperties", BindingFlags.Instance | BindingFlags.NonPublic);
                FieldInfo? valueField = eventProperties?.FieldType.IsGenericType == true
                    ? eventProperties.FieldType.GetGenericArguments()[1].GetField("Value", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                    : null;
                MethodInfo? dictionaryEnumerator = eventProperties?.FieldType.GetMethod("GetEnumerator", BindingFlags.Instance | BindingFlags.Public, Type.EmptyTypes);
                if (eventProperties != null && valueField != null && dictionaryEnumerator != null
                    && eventProperties.FieldType.GetGenericTypeDefinition() == typeof(Dictionary<,>)
                    && eventProperties.FieldType.GetGenericArguments()[0] == typeof(object)
                    && valueField.FieldType == typeof(object))
                {
                    Expression? direct = BuildCopyLoop(
                        Expression.Call(Expression.Field(typed, eventProperties), dictionaryEnumerator),
                        buffer,
                        typeof(KeyValuePair<object, object?>),
                        current => Expression.New(
                            typeof(KeyValuePair<object, object?>).GetConstructor(new[] { typeof(object), typeof(object) })!,
                            Expression.Property(current, "Key"),
                            Expression.Field(Expression.Property(current, "Value"), valueField)));
                    if (direct != null)
                    {
                        body = Expression.Condition(Expression.Equal(Expression.Field(typed, eventProperties), Expression.Constant(null, eventProperties.FieldType)), body, direct);
                    }
                }

                body = Expression.Block(typeof(int), new[] { typed }, Expression.Assign(typed, Expression.Convert(properties, type)), body);
                dictionaryType = type;
                return Expression.Lambda<CopyEventProperties>(body, properties, buffer).Compile();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                NLog.Common.InternalLogger.Debug(ex, "PyLogJson: NLog event-property enumerator not available, using the public enumeration.");
                return null;
            }
        }

        private static CopyScopeProperties? BuildScopePropertiesCopy()
        {
            try
            {
                MethodInfo? getEnumerator = typeof(ScopeContext).GetMethod("GetAllPropertiesEnumerator", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes);
                if (getEnumerator is null)
                {
                    return null;
                }

                ParameterExpression buffer = Expression.Parameter(typeof(KeyValuePair<string, object?>[]), "buffer");
                Expression? body = BuildCopyLoop(Expression.Call(getEnumerator), buffer, typeof(KeyValuePair<string, object?>), null);
                return body is null ? null : Expression.Lambda<CopyScopeProperties>(body, buffer).Compile();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                NLog.Common.InternalLogger.Debug(ex, "PyLogJson: NLog scope-property enumerator not available, using the public enumeration.");
                return null;
            }
        }

        // enumerator = create(); i = 0;
        // while (enumerator.MoveNext()) { if (i >= buffer.Length) return -1; buffer[i++] = project(enumerator.Current); }
        // return i;
        private static Expression? BuildCopyLoop(Expression createEnumerator, ParameterExpression buffer, Type itemType, Func<Expression, Expression>? project)
        {
            Type enumeratorType = createEnumerator.Type;
            MethodInfo? moveNext = enumeratorType.GetMethod("MoveNext", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes);
            PropertyInfo? current = project is null
                ? enumeratorType.GetProperty("Current", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null, itemType, Type.EmptyTypes, null)
                : enumeratorType.GetProperty("Current", BindingFlags.Instance | BindingFlags.Public);
            if (!enumeratorType.IsValueType || moveNext is null || moveNext.ReturnType != typeof(bool) || current is null)
            {
                return null;
            }

            ParameterExpression enumerator = Expression.Variable(enumeratorType, "enumerator");
            ParameterExpression index = Expression.Variable(typeof(int), "index");
            LabelTarget done = Expression.Label(typeof(int), "done");
            Expression item = project is null ? Expression.Property(enumerator, current) : project(Expression.Property(enumerator, current));
            return Expression.Block(
                typeof(int),
                new[] { enumerator, index },
                Expression.Assign(enumerator, createEnumerator),
                Expression.Assign(index, Expression.Constant(0)),
                Expression.Loop(
                    Expression.IfThenElse(
                        Expression.Call(enumerator, moveNext),
                        Expression.Block(
                            Expression.IfThen(
                                Expression.GreaterThanOrEqual(index, Expression.ArrayLength(buffer)),
                                Expression.Return(done, Expression.Constant(-1))),
                            Expression.Assign(Expression.ArrayAccess(buffer, index), item),
                            Expression.PostIncrementAssign(index)),
                        Expression.Break(done, index)),
                    done));
        }
    }
}
