#ifndef CINNABAR_LUA_H
#define CINNABAR_LUA_H
/* The C side of Cinnabar's scripting module: LuaJIT's API (from the build in
   .deps/luajit, see Scripts/luajit), function-like macros as functions Swift
   can call, a trampoline that raises Lua errors from C frames only, and the
   asynchronous interrupt that stops running scripts (SCRIPT/FUNCTION KILL). */
#include <pthread.h>
#include "../../../.deps/luajit/include/luajit-2.1/lua.h"
#include "../../../.deps/luajit/include/luajit-2.1/lauxlib.h"
#include "../../../.deps/luajit/include/luajit-2.1/lualib.h"
#include "../../../.deps/luajit/include/luajit-2.1/luajit.h"
#include "../../../.deps/luajit/include/cinnabar_luajit_build.h"

/* lua-cjson (Debian's liblua5.1-cjson, linked statically). */
int luaopen_cjson(lua_State *L);

/* Build facts for INFO. */
int cinnabar_luajit_checkhook(void);
const char *cinnabar_luajit_build(void);

/* A Lua C function implemented in Swift: returns the number of results, or -1
   after pushing an error value, which the trampoline raises with lua_error so
   that no longjmp ever crosses a Swift frame. */
typedef int (*cinnabar_swift_fn)(lua_State *L);
void cinnabar_push_swift_function(lua_State *L, cinnabar_swift_fn fn);

/* Runs `lua_pcall` with a traceback-free error handler that adds nothing; kept
   in C so the protected call boundary is a C frame. */
int cinnabar_pcall(lua_State *L, int nargs, int nresults, int errfunc);

/* Error values a Swift function pushes before returning -1, worded and
   positioned as the auxiliary library's luaL_error, luaL_argerror and
   luaL_typerror would raise them from a C function (never raising here). */
void cinnabar_push_error(lua_State *L, const char *msg, size_t len);
void cinnabar_push_argerror(lua_State *L, int narg, const char *msg, size_t len);
void cinnabar_push_typeerror(lua_State *L, int narg, const char *expected);

/* Interrupts. The interrupted state's hook calls `callback`; when it returns
   nonzero after pushing an error value, the hook raises it. */
typedef int (*cinnabar_hook_fn)(lua_State *L);
void cinnabar_install_interrupts(cinnabar_hook_fn callback);
/* Marks `L` as the state running on the calling thread (NULL when idle). */
void cinnabar_set_running(lua_State *L);
/* Asks the thread `t` to install the interrupt hook on its running state
   (signal-based, so it reaches JIT-compiled loops in a CHECKHOOK build). */
int cinnabar_interrupt_thread(pthread_t t);
/* Installs/clears a periodic count hook on `L` from its own thread. */
void cinnabar_set_periodic_hook(lua_State *L, int count);
void cinnabar_clear_hook(lua_State *L);

/* Macros as functions. */
static inline void cinnabar_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void cinnabar_newtable(lua_State *L) { lua_newtable(L); }
static inline int cinnabar_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline const char *cinnabar_tolstring(lua_State *L, int i, size_t *len) { return lua_tolstring(L, i, len); }
static inline int cinnabar_isnoneornil(lua_State *L, int i) { return lua_isnoneornil(L, i); }
static inline void cinnabar_getglobal(lua_State *L, const char *k) { lua_getglobal(L, k); }
static inline void cinnabar_setglobal(lua_State *L, const char *k) { lua_setglobal(L, k); }
static inline int cinnabar_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int cinnabar_globalsindex(void) { return LUA_GLOBALSINDEX; }
#endif
