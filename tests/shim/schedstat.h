/*
 * schedstat.h - how long this thread has waited for a CPU: the second field
 * of /proc/self/schedstat (run_delay, ns spent runnable on a run queue, not
 * running). The SM-cap workers print it beside their wall time, so the
 * tests can tell a limiter that holds a process back from a machine too
 * busy to run it (smtest.h).
 */
#ifndef VGPU_TEST_SCHEDSTAT_H
#define VGPU_TEST_SCHEDSTAT_H

#include <stdio.h>

/* run_delay of the calling thread in ns; -1 when the kernel has none. */
static inline double schedstat_run_delay(void)
{
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	unsigned long long run, delay;
	int n;

	if (!f)
		f = fopen("/proc/self/schedstat", "r");
	if (!f)
		return -1;
	n = fscanf(f, "%llu %llu", &run, &delay);
	fclose(f);
	return n == 2 ? (double)delay : -1;
}

#endif
