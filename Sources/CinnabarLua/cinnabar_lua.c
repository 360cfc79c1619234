#include "cinnabar_lua.h"
#include <signal.h>
#include <string.h>
#include <stdio.h>

int cinnabar_luajit_checkhook(void) { return CINNABAR_LUAJIT_CHECKHOOK; }
const char *cinnabar_luajit_build(void) { return CINNABAR_LUAJIT_BUILD; }

static int trampoline(lua_State *L) {
    cinnabar_swift_fn fn = (cinnabar_swift_fn)lua_touserdata(L, lua_upvalueindex(1));
    int r = fn(L);
    if (r < 0) return lua_error(L);
    return r;
}

void cinnabar_push_swift_function(lua_State *L, cinnabar_swift_fn fn) {
    lua_pushlightuserdata(L, (void *)fn);
    lua_pushcclosure(L, trampoline, 1);
}

int cinnabar_pcall(lua_State *L, int nargs, int nresults, int errfunc) {
    return lua_pcall(L, nargs, nresults, errfunc);
}

static cinnabar_hook_fn hook_callback;
static __thread lua_State *running_state;
#define INTERRUPT_SIGNAL (SIGRTMIN + 3)

static void interrupt_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (hook_callback && hook_callback(L)) lua_error(L);
}

/* Runs on the script's own thread, between any two VM instructions or inside
   compiled code; lua_sethook is safe here (LuaJIT's own REPL does the same). */
static void on_interrupt(int sig) {
    (void)sig;
    lua_State *L = running_state;
    if (L) lua_sethook(L, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

void cinnabar_install_interrupts(cinnabar_hook_fn callback) {
    hook_callback = callback;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(INTERRUPT_SIGNAL, &sa, NULL);
}

void cinnabar_set_running(lua_State *L) { running_state = L; }

int cinnabar_interrupt_thread(pthread_t t) { return pthread_kill(t, INTERRUPT_SIGNAL); }

void cinnabar_set_periodic_hook(lua_State *L, int count) {
    lua_sethook(L, interrupt_hook, LUA_MASKCOUNT, count);
}

void cinnabar_clear_hook(lua_State *L) { lua_sethook(L, NULL, 0, 0); }

/* Error values for Swift functions. Level 0 of the stack is the running C
   function (the trampoline), level 1 the Lua code that called it, which is
   where a C library error is reported, as Lua's auxiliary library does. */
void cinnabar_push_error(lua_State *L, const char *msg, size_t len) {
    luaL_where(L, 1);
    lua_pushlstring(L, msg, len);
    lua_concat(L, 2);
}

void cinnabar_push_argerror(lua_State *L, int narg, const char *msg, size_t len) {
    lua_Debug ar;
    char head[160];
    const char *name = "?";
    int n;
    if (!lua_getstack(L, 0, &ar)) {
        n = snprintf(head, sizeof head, "bad argument #%d (", narg);
    } else {
        lua_getinfo(L, "n", &ar);
        if (ar.name) name = ar.name;
        if (ar.namewhat && strcmp(ar.namewhat, "method") == 0 && --narg == 0) {
            n = snprintf(head, sizeof head, "calling '%.100s' on bad self (", name);
        } else {
            n = snprintf(head, sizeof head, "bad argument #%d to '%.100s' (", narg, name);
        }
    }
    luaL_where(L, 1);
    lua_pushlstring(L, head, n < (int)sizeof head ? (size_t)n : sizeof head - 1);
    lua_pushlstring(L, msg, len);
    lua_pushliteral(L, ")");
    lua_concat(L, 4);
}

void cinnabar_push_typeerror(lua_State *L, int narg, const char *expected) {
    char msg[96];
    int n = snprintf(msg, sizeof msg, "%s expected, got %s", expected, luaL_typename(L, narg));
    cinnabar_push_argerror(L, narg, msg, n < (int)sizeof msg ? (size_t)n : sizeof msg - 1);
}
