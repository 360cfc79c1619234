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
        local function ro() error('Attempt to modify a readonly table', 2) end
        -- Raised from the raw writers, which Redis implements in C: no position.
        local function roraw() error('Attempt to modify a readonly table', 0) end

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
          return proxy
        end

        G.rawset = function(t, k, v) if protected[t] then roraw() end return rawset(t, k, v) end
        G.setmetatable = function(t, m) if protected[t] then roraw() end return setmetatable(t, m) end
        table.insert = function(t, ...) if protected[t] then roraw() end return tinsert(t, ...) end
        table.remove = function(t, ...) if protected[t] then roraw() end return tremove(t, ...) end
        table.sort = function(t, ...) if protected[t] then roraw() end return tsort(t, ...) end

        local sandbox
        local function loadtext(s, name)
          if type(s) == 'string' and s:byte(1) == 27 then return nil, 'binary chunks are not allowed' end
          local f, e = real_loadstring(s, name)
          if f then setfenv(f, sandbox) end
          return f, e
        end
        G.loadstring = loadtext
        G.load = function(chunk, name)
          if type(chunk) == 'function' then
            local parts = {}
            while true do
              local p = chunk()
              if p == nil or p == '' then break end
              parts[#parts + 1] = p
            end
            chunk = concat(parts)
          end
          return loadtext(chunk, name)
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
        G._G = sandbox
        \(functionsMode ? "return sandbox, errorhandler, function(loading) smeta2.__index = loading and loadapi or G end" : "return sandbox, errorhandler")
        """
    }
}
