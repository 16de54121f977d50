using System;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using NLog.Targets.PyLog.Core;
using StackExchange.Redis;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>
    /// Writes the unsettled items of a batch in one round trip: one variadic <c>RPUSH</c> per key
    /// (lists), one Lua script call per key running the <c>XADD</c>s (streams; StackExchange.Redis
    /// 1.2.6 has no stream API), or pipelined <c>PUBLISH</c>es (channels). Items whose command
    /// succeeded are marked delivered, so a retry after a partial failure sends only the rest.
    /// </summary>
    internal sealed class RedisBatchSender
    {
        // ARGV[1] = MAXLEN (0: no trim), ARGV[2] = field name, ARGV[3..] = entries.
        private const string StreamScript = @"
local maxlen = tonumber(ARGV[1])
for i = 3, #ARGV do
  if maxlen > 0 then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', ARGV[2], ARGV[i])
  else
    redis.call('XADD', KEYS[1], '*', ARGV[2], ARGV[i])
  end
end
return #ARGV - 2";

        private readonly RedisDataType _dataType;
        private readonly RedisValue _maxLength;
        private readonly RedisValue _streamField;

        public RedisBatchSender(RedisDataType dataType, long maxLength, string streamField)
        {
            _dataType = dataType;
            _maxLength = maxLength;
            _streamField = streamField;
        }

        /// <summary>Sends; throws the first failure after marking what did succeed.</summary>
        public Task SendAsync(IDatabase database, NetworkBatch<byte[]> batch)
        {
            if (_dataType == RedisDataType.Channel)
                return PublishAsync(database, batch);

            var keys = batch.PendingKeys();
            if (keys.Count == 1)
                return SendKeyAsync(database, batch, keys[0]!);

            // Several keys (a layout Key): one command per key, pipelined in one batch.
            var redisBatch = database.CreateBatch();
            var tasks = new Task[keys.Count];
            for (int k = 0; k < keys.Count; k++)
                tasks[k] = SendKeyAsync(redisBatch, batch, keys[k]!);
            redisBatch.Execute();
            return AwaitAllAsync(tasks);
        }

        private async Task SendKeyAsync(IDatabaseAsync database, NetworkBatch<byte[]> batch, string key)
        {
            var values = ValuesFor(batch, key, _dataType == RedisDataType.Stream ? 2 : 0);
            if (_dataType == RedisDataType.Stream)
            {
                values[0] = _maxLength;
                values[1] = _streamField;
                await database.ScriptEvaluateAsync(StreamScript, new RedisKey[] { key }, values).ConfigureAwait(false);
            }
            else
            {
                await database.ListRightPushAsync(key, values).ConfigureAwait(false);
            }
            batch.MarkDeliveredWithKey(key);
        }

        private static async Task PublishAsync(IDatabase database, NetworkBatch<byte[]> batch)
        {
            var redisBatch = database.CreateBatch();
            var tasks = new Task<long>[batch.Count];
            for (int i = 0; i < batch.Count; i++)
            {
                if (batch.IsSettled(i))
                    continue;
                tasks[i] = redisBatch.PublishAsync(new RedisChannel(batch.KeyOf(i)!, RedisChannel.PatternMode.Literal), batch[i]);
            }
            redisBatch.Execute();

            Exception? first = null;
            for (int i = 0; i < tasks.Length; i++)
            {
                var task = tasks[i];
                if (task is null)
                    continue;
                try
                {
                    await task.ConfigureAwait(false);
                    batch.MarkDelivered(i);
                }
                catch (Exception ex)
                {
                    first ??= ex;
                }
            }
            if (first != null)
                ExceptionDispatchInfo.Capture(first).Throw();
        }

        private static async Task AwaitAllAsync(Task[] tasks)
        {
            Exception? first = null;
            foreach (var task in tasks)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    first ??= ex;
                }
            }
            if (first != null)
                ExceptionDispatchInfo.Capture(first).Throw();
        }

        private static RedisValue[] ValuesFor(NetworkBatch<byte[]> batch, string key, int reserved)
        {
            var values = new RedisValue[reserved + batch.CountPendingWithKey(key)];
            int next = reserved;
            for (int i = 0; i < batch.Count; i++)
            {
                if (batch.IsPendingWithKey(i, key))
                    values[next++] = batch[i];
            }
            return values;
        }
    }
}
