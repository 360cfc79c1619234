#!lua name=inventory
--[[
Stock reservations that run next to the data, atomically.

Keys (always passed as KEYS, in this order):
  stock   a hash: sku -> units available
  orders  a hash: order id -> "sku quantity" for every live reservation
  audit   a list of "action order sku quantity" lines, newest first (capped)

  FCALL restock   1 stock <sku> <quantity>
  FCALL reserve   3 stock orders audit <sku> <quantity> <order id>
  FCALL release   3 stock orders audit <order id>
  FCALL_RO available 1 stock <sku>
]]

local AUDIT_LENGTH = 10000

local function quantity(text)
  local n = tonumber(text)
  if not n or n <= 0 or n % 1 ~= 0 then
    return nil
  end
  return n
end

local function audit(key, action, order, sku, qty)
  redis.call('LPUSH', key, table.concat({action, order, sku, qty}, ' '))
  redis.call('LTRIM', key, 0, AUDIT_LENGTH - 1)
end

-- Takes `quantity` units of `sku` for `order`, or refuses without changing
-- anything: the order id makes retries safe, and stock never goes negative.
local function reserve(keys, args)
  local stock, orders, log = keys[1], keys[2], keys[3]
  local sku, qty, order = args[1], quantity(args[2]), args[3]
  if not sku or not order then
    return redis.error_reply('ERR usage: FCALL reserve 3 stock orders audit <sku> <quantity> <order id>')
  end
  if not qty then
    return redis.error_reply('ERR quantity must be a positive integer')
  end
  local existing = redis.call('HGET', orders, order)
  if existing then
    return redis.error_reply('DUPLICATE order ' .. order .. ' already holds ' .. existing)
  end
  local available = tonumber(redis.call('HGET', stock, sku) or '0')
  if available < qty then
    return redis.error_reply('OUTOFSTOCK ' .. sku .. ' has ' .. available .. ' units, ' .. qty .. ' requested')
  end
  local left = redis.call('HINCRBY', stock, sku, -qty)
  redis.call('HSET', orders, order, sku .. ' ' .. qty)
  audit(log, 'reserve', order, sku, qty)
  return left
end

-- Cancels a reservation and returns its units to stock.
local function release(keys, args)
  local stock, orders, log = keys[1], keys[2], keys[3]
  local order = args[1]
  local held = order and redis.call('HGET', orders, order)
  if not held then
    return redis.error_reply('NOTFOUND no reservation for order ' .. tostring(order))
  end
  local sku, qty = string.match(held, '^(.*) (%d+)$')
  redis.call('HDEL', orders, order)
  local left = redis.call('HINCRBY', stock, sku, tonumber(qty))
  audit(log, 'release', order, sku, qty)
  return left
end

-- Adds units of a sku.
local function restock(keys, args)
  local qty = quantity(args[2])
  if not args[1] or not qty then
    return redis.error_reply('ERR usage: FCALL restock 1 stock <sku> <positive quantity>')
  end
  return redis.call('HINCRBY', keys[1], args[1], qty)
end

local function available(keys, args)
  return tonumber(redis.call('HGET', keys[1], args[1]) or '0')
end

redis.register_function{function_name = 'reserve', callback = reserve,
  description = 'Reserve units of a sku for an order (refuses when short or duplicate)'}
redis.register_function{function_name = 'release', callback = release,
  description = 'Cancel a reservation and return its units'}
redis.register_function{function_name = 'restock', callback = restock,
  description = 'Add units of a sku'}
redis.register_function{function_name = 'available', callback = available, flags = {'no-writes'},
  description = 'Units of a sku in stock'}
