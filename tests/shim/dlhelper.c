/*
 * dlhelper.c - libdlhelper.so for test_shim_dl: a second library that
 * loads what it is asked to (dlhelper_open), as a framework's plugin loader
 * does. Its dlopen is whatever the loader binds its reference to.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>

void *dlhelper_open(const char *path);

/* dlopen(path, RTLD_NOW) from this library. */
void *dlhelper_open(const char *path)
{
	return dlopen(path, RTLD_NOW);
}
