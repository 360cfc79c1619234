/// Lua source that turns a freshly opened state into Redis's sandbox. It runs
/// once per state with full privileges and returns the environment scripts
/// get (`sandbox`) and the error handler used around every script call.
///
/// LuaJIT has no read-only tables (Redis patches its Lua for that), so the
/// same guarantees are built from proxies: every table a script can reach is
/// an empty proxy whose writes raise "Attempt to modify a readonly table",
/// the raw writers that bypass metamethods (rawset, setmetatable,
/// table.insert/remove/sort) refuse proxies, reading a missing global raises
/// Redis's "Script attempted to access nonexistent global variable" error,
/// and code loaded at run time is text only and lands in the same sandbox.
/// Nothing a script does can therefore be seen by the next one.
enum Sandbox {
    /// Globals removed from every sandbox (never reachable by scripts).
    static let removed = ["os", "io", "debug", "package", "require", "loadfile", "dofile", "print", "jit", "ffi",
                          "setfenv", "getfenv", "newproxy", "module"]

    /// `libraries`: global tables to expose read-only. `extraRemoved`: more
    /// globals to drop (the functions environment drops the ones EVAL keeps).
    /// With `functionsMode`, the state also gets the load-time view Redis
    /// gives FUNCTION LOAD (only `redis.register_function`, `redis.log` and
    /// the version constants; everything else is a missing global), taken
    /// from a `__loadredis` global the caller set, and the bootstrap returns a
    /// third value: `switch(loading)` selecting the load-time or run-time view.
    static func bootstrap(libraries: [String], extraRemoved: [String] = [], functionsMode: Bool = false) -> String {
        let removedList = (removed + extraRemoved).map { "'\($0)'" }.joined(separator: ",")
        let libList = libraries.map { "'\($0)'" }.joined(separator: ",")
        return """
        local G = _G
        local error, type, tostring, rawget, rawset, ipairs = error, type, tostring, rawget, rawset, ipairs
        local setmetatable, getmetatable = setmetatable, getmetatable
        local real_loadstring, setfenv, concat = loadstring, setfenv, table.concat
        local rawpcall = pcall
        local getinfo = debug.getinfo
        local tinsert, tremove, tsort = table.insert, table.remove, table.sort

        local protected = setmetatable({}, {__mode = 'k'})
        -- Library proxy -> the real table it shows (for next, pairs and rawget).
        local backing = setmetatable({}, {__mode = 'k'})
        local function ro() error('Attempt to modify a readonly table', 2) end
        -- Raised from the raw writers, which Redis implements in C: no position.
        local function roraw() error('Attempt to modify a readonly table', 0) end
        local rawnext, rawpairs = next, pairs

        local function view(real)
          local v = setmetatable({}, {__index = real, __newindex = ro, __metatable = false})
          protected[v] = true
          return v
        end

        local function readonly(real)
          local meta = {__index = real, __newindex = ro}
          meta.__metatable = view(meta)
          local proxy = setmetatable({}, meta)
          protected[proxy] = true
          backing[proxy] = real
          return proxy
        end

        -- Lua 5.1's names for argument types in error messages.
        local function typename(n, v) if n == 0 then return 'no value' end return type(v) end

        G.rawset = function(t, k, v) if protected[t] then roraw() end return rawset(t, k, v) end
        G.setmetatable = function(t, m) if protected[t] then roraw() end return setmetatable(t, m) end
        -- Library tables read as the plain tables Redis has: iterable, raw-readable, no metatable.
        local globalsview
        local function real(t) if t == globalsview then return G end return backing[t] or t end
        G.next = function(t, k) return rawnext(real(t), k) end
        G.pairs = function(t) if real(t) ~= t then return G.next, t, nil end return rawpairs(t) end
        G.rawget = function(t, k) return rawget(real(t), k) end
        G.getmetatable = function(t) if backing[t] then return nil end return getmetatable(t) end
        -- Library tables have no array part, so on Redis remove and sort find nothing to change.
        table.insert = function(t, ...)
          if protected[t] then
            local n = select('#', ...)
            if n == 1 or n == 2 then roraw() end
            error("wrong number of arguments to 'insert'", 2)
          end
          return tinsert(t, ...)
        end
        table.remove = function(t, ...) if protected[t] then return end return tremove(t, ...) end
        table.sort = function(t, comp)
          if protected[t] then
            if comp ~= nil and type(comp) ~= 'function' then
              error("bad argument #2 to 'sort' (function expected, got " .. type(comp) .. ")", 2)
            end
            return
          end
          return tsort(t, comp)
        end

        -- Lua 5.1's chunk names in messages (LUA_IDSIZE 80, as Redis builds it):
        -- '=name' verbatim, '@file' (its tail when long), else [string "first line"].
        local function chunkid(src)
          src = src:match('^[^%z]*')
          local c = src:sub(1, 1)
          if c == '=' then return src:sub(2, 80) end
          if c == '@' then
            local f = src:sub(2)
            if #f > 72 then return '...' .. f:sub(-72) end
            return f
          end
          local line = src:match('^[^\\r\\n]*')
          if #line > 63 then line = line:sub(1, 63) end
          if #line < #src then return '[string "' .. line .. '..."]' end
          return '[string "' .. src .. '"]'
        end

        local sandbox
        -- Redis's Lua loads only text: a binary chunk fails as text would, at its first byte.
        local function loadtext(s, name)
          if s:byte(1) == 27 then return nil, chunkid(name or s) .. ":1: unexpected symbol near 'char(27)'" end
          local f, e = real_loadstring(s, name)
          if f then setfenv(f, sandbox) end
          return f, e
        end
        G.loadstring = function(...)
          local s, name = ...
          local ts = type(s)
          if ts == 'number' then s = tostring(s) elseif ts ~= 'string' then
            error("bad argument #1 to 'loadstring' (string expected, got " .. typename(select('#', ...), s) .. ")", 2)
          end
          return loadtext(s, name)
        end
        -- Lua 5.1's load takes only a reader function.
        G.load = function(...)
          local chunk, name = ...
          if type(chunk) ~= 'function' then
            error("bad argument #1 to 'load' (function expected, got " .. typename(select('#', ...), chunk) .. ")", 2)
          end
          local parts = {}
          while true do
            local p = chunk()
            if type(p) == 'number' then p = tostring(p) end
            if p == nil or p == '' then break end
            if type(p) ~= 'string' then return nil, 'reader function must return a string' end
            parts[#parts + 1] = p
          end
          return loadtext(concat(parts), name or '=(load)')
        end

        -- redis.pcall-style errors are tables; pcall hands scripts their text, as Redis 7 does.
        local function pcallresult(ok, ...)
          if ok then return ok, ... end
          local e = ...
          if type(e) == 'table' then
            local m = rawget(e, 'err')
            if type(m) == 'string' or type(m) == 'number' then return false, m end
          end
          return false, e
        end
        G.pcall = function(...) return pcallresult(rawpcall(...)) end

        for _, k in ipairs({\(removedList)}) do G[k] = nil end
        for _, k in ipairs({\(libList)}) do
          if rawget(G, k) ~= nil then G[k] = readonly(G[k]) end
        end

        local smeta = getmetatable('')
        smeta.__index = G.string
        smeta.__metatable = view(smeta)

        local function errorhandler(err)
          -- Report the user's line: skip the C function that raised and this sandbox's own helpers.
          local level = 2
          local i = getinfo(level, 'nSl')
          if i and i.what == 'C' then level = level + 1; i = getinfo(level, 'nSl') end
          while i and i.source == '=sandbox' do level = level + 1; i = getinfo(level, 'nSl') end
          if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
          if i then
            err['source'] = i.source
            err['line'] = i.currentline
          end
          return err
        end

        local missing = function(_, k)
          error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
        end
        local loadapi
        if rawget(G, '__loadredis') then
          local lr = G.__loadredis
          G.__loadredis = nil
          setmetatable(lr, {__index = missing})
          loadapi = setmetatable({redis = readonly(lr)}, {__index = missing})
        end
        setmetatable(G, {__index = missing})
        local smeta2 = {__index = G, __newindex = ro}
        smeta2.__metatable = view(smeta2)
        sandbox = setmetatable({}, smeta2)
        protected[sandbox] = true
        globalsview = sandbox
        G._G = sandbox
        \(functionsMode ? "return sandbox, errorhandler, function(loading) smeta2.__index = loading and loadapi or G end" : "return sandbox, errorhandler")
        """
    }
}
