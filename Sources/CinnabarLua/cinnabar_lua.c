#include "cinnabar_lua.h"
#include <signal.h>
#include <string.h>

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
