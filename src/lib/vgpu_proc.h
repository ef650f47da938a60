/*
 * vgpu_proc.h - is a process (pid + start time) still alive? One reader of
 * /proc for everything that must tell a live process from a dead one: the
 * shim's ledger, the SPANK plugin's step state and the simulated driver.
 *
 * Stand-alone (libc only, no vgpu_error): it is compiled into the shim and
 * the simulator as well as libvgpucore. No allocation, no stdio, no locks;
 * safe in any thread. Each call costs one open/read/close of
 * /proc/PID/stat, plus one of /proc/PID/status for a zombie.
 *
 * Rules (the contract every caller relies on):
 *  - the start time is field 22 of /proc/PID/stat (clock ticks after boot),
 *    parsed after the LAST ')' (the command name may hold ')' and spaces);
 *  - no /proc/PID (ENOENT/ESRCH) is DEAD, unless kill(pid, 0) says the pid
 *    exists (then /proc hides it, hidepid=2: UNKNOWN);
 *  - EACCES/EPERM (hidepid=1), an unreadable or malformed file: UNKNOWN;
 *  - state 'X' or 'x' (exiting, being reaped): DEAD;
 *  - state 'Z' is DEAD only when /proc/PID/status says "Threads: 1": a main
 *    thread that called pthread_exit() while other threads run also shows
 *    'Z', and that process is alive (it still holds its GPU memory);
 *  - a start time other than the expected one is DEAD (the pid was reused),
 *    whatever the state.
 */
#ifndef VGPU_PROC_H
#define VGPU_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VGPU_PROC_ALIVE 0
#define VGPU_PROC_DEAD 1
#define VGPU_PROC_UNKNOWN (-1)

/* Compare the whole start time (for vgpu_proc_alive's mask). */
#define VGPU_PROC_START_ALL UINT64_MAX

/* Parse the text of a /proc/PID/stat file (len bytes, need not be
 * NUL-terminated): *state gets the state letter (field 3), *start the start
 * time (field 22). Returns 0, or -1 when the text is not a stat line (no
 * ") " after the command name, fewer than 22 fields, a start time that is
 * not a decimal number). */
int vgpu_proc_parse_stat(const char *text, size_t len, char *state, uint64_t *start);

/* The start time of process pid into *start (set only when ALIVE). Returns
 * VGPU_PROC_ALIVE, VGPU_PROC_DEAD (no such process, exiting, or a zombie
 * with one thread left) or VGPU_PROC_UNKNOWN (see the rules above). pid <= 0
 * is DEAD. */
int vgpu_proc_start_time(pid_t pid, uint64_t *start);

/* Is the process that had pid and started at start alive? The start times
 * are compared under mask ((actual & mask) == (start & mask)), so callers
 * that keep only some bits (the ledger keeps 31) can ask; use
 * VGPU_PROC_START_ALL otherwise. Returns VGPU_PROC_ALIVE, VGPU_PROC_DEAD
 * (gone, exited, or the pid now belongs to a process with another start
 * time) or VGPU_PROC_UNKNOWN (the caller decides; the ledger and the
 * simulator keep the record). */
int vgpu_proc_alive(pid_t pid, uint64_t start, uint64_t mask);

#endif
