/* The `lua` command for the system: the lua-src crate ships Lua's library
 * but not its stand-alone interpreter, so this is our own small front end.
 *
 *   lua [-v] [-e CHUNK]... [-i] [SCRIPT [ARGS...] | -]
 *
 * Runs each -e chunk, then SCRIPT (or stdin for `-`) with the global `arg`
 * table (arg[0] = SCRIPT, arg[1..] = ARGS) and ...= ARGS. With no -e and no
 * SCRIPT, or with -i, it reads statements line by line from stdin (an
 * expression line prints its values). Exit status 1 on any error. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static int traceback(lua_State *L) {
	const char *msg = lua_tostring(L, 1);
	luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
	return 1;
}

/* Calls the function under its nargs arguments; reports an error. */
static int call(lua_State *L, int nargs, int nres) {
	int base = lua_gettop(L) - nargs;
	lua_pushcfunction(L, traceback);
	lua_insert(L, base);
	int st = lua_pcall(L, nargs, nres, base);
	lua_remove(L, base);
	if (st != LUA_OK) {
		fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	return st == LUA_OK;
}

static int load_ok(lua_State *L, int st) {
	if (st != LUA_OK) {
		fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	return st == LUA_OK;
}

static void repl(lua_State *L) {
	char line[4096];
	int tty = isatty(0);
	for (;;) {
		if (tty) { fputs("> ", stdout); fflush(stdout); }
		if (!fgets(line, sizeof line, stdin)) break;
		lua_pushfstring(L, "return %s", line);
		int st = luaL_loadbuffer(L, lua_tostring(L, -1), strlen(lua_tostring(L, -1)), "=stdin");
		lua_remove(L, -2);
		if (st != LUA_OK) {
			lua_pop(L, 1);
			st = luaL_loadbuffer(L, line, strlen(line), "=stdin");
		}
		if (!load_ok(L, st)) continue;
		int top = lua_gettop(L) - 1;
		if (call(L, 0, LUA_MULTRET) && lua_gettop(L) > top) {
			lua_getglobal(L, "print");
			lua_insert(L, top + 1);
			call(L, lua_gettop(L) - top - 1, 0);
		}
		lua_settop(L, top);
	}
}

int main(int argc, char **argv) {
	lua_State *L = luaL_newstate();
	if (!L) { fputs("lua: cannot create state\n", stderr); return 1; }
	luaL_openlibs(L);
	int i = 1, ran = 0, interactive = 0;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "-v")) { puts(LUA_COPYRIGHT); ran = 1; }
		else if (!strcmp(argv[i], "-i")) interactive = 1;
		else if (!strcmp(argv[i], "-e") && i + 1 < argc) {
			const char *chunk = argv[++i];
			if (!load_ok(L, luaL_loadbuffer(L, chunk, strlen(chunk), "=(command line)")) || !call(L, 0, 0))
				return 1;
			ran = 1;
		} else if (!strcmp(argv[i], "--")) { i++; break; }
		else { fprintf(stderr, "usage: lua [-v] [-e chunk]... [-i] [script [args...] | -]\n"); return 1; }
	}
	if (i < argc) {
		lua_createtable(L, argc - i, 1);
		for (int j = i; j < argc; j++) { lua_pushstring(L, argv[j]); lua_rawseti(L, -2, j - i); }
		lua_setglobal(L, "arg");
		const char *script = strcmp(argv[i], "-") ? argv[i] : NULL;
		if (!load_ok(L, luaL_loadfile(L, script))) return 1;
		for (int j = i + 1; j < argc; j++) lua_pushstring(L, argv[j]);
		if (!call(L, argc - i - 1, 0)) return 1;
		ran = 1;
	}
	if (interactive || !ran) repl(L);
	lua_close(L);
	return 0;
}
