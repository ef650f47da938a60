/*
 * shim_graph.c - device memory of CUDA graphs' memory nodes.
 *
 * The driver maps a graph allocation node's memory when the executable
 * graph is launched, from the device's graph memory pool, which keeps it
 * (held from the GPU) after the graph frees it, for later launches, until
 * cuDeviceGraphMemTrim. The launch itself is paced in shim_sm.c and charges
 * nothing; the memory is charged before it can be taken, at instantiation:
 *
 *  - cuGraphAddMemAllocNode: the graph's allocation bytes (each rounded to
 *    2 MiB) are summed per graph;
 *  - cuGraphInstantiate, _v2, WithFlags, WithParams(_ptsz): the executable
 *    graph needs that sum on its GPU.
 *    The shim's charge for a GPU's graph memory is kept at
 *      max(sum over live executable graphs, what the driver says the pool
 *          holds: CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT)
 *    so an instantiation that needs more than is charged reserves the
 *    difference first (after a trim of the pool when the slice is full),
 *    and fails closed with CUDA_ERROR_OUT_OF_MEMORY without instantiating;
 *  - cuGraphExecDestroy and cuDeviceGraphMemTrim settle the charge down to
 *    that maximum again (freed memory the pool keeps stays charged until
 *    trimmed).
 * A graph whose allocations free before others allocate is charged the sum
 * of its allocations, not its peak: the step may get less than its slice,
 * never more. Not seen: allocation nodes made by stream capture
 * (cuMemAllocAsync while capturing: charged by that hook, as an
 * allocation), graphs allocating on several GPUs (charged on the first
 * GPU's slice).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"

#include <unistd.h>

/* Per step GPU, guarded by vgpu_track_lock(). */
static struct {
	pid_t owner;        /* the process the numbers are for (a forked child starts at 0) */
	int ordinal;        /* a CUDA ordinal of it (for the driver's pool attribute) */
	uint64_t need;      /* sum over this process's live executable graphs */
	uint64_t charged;   /* charged to the slice for graph memory */
} gm[VGPU_STEPDESC_MAX_GPUS];

/* gm[g], reset in a forked child (which holds none of its parent's memory). */
static void gm_own(int g)
{
	pid_t me = getpid();

	if (gm[g].owner != me) {
		gm[g].owner = me;
		gm[g].need = gm[g].charged = 0;
	}
}

/* Bring gm[g].charged to max(need, what the pool holds). Lock held. */
static void settle(int g)
{
	uint64_t held = 0, target;

	if (CU_REAL(cuDeviceGetGraphMemAttribute)(gm[g].ordinal, VGPU_CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT,
						  &held) != VGPU_CUDA_SUCCESS)
		held = gm[g].charged; /* unknown: keep what is charged */
	held = vgpu_shim_round(held);
	target = held > gm[g].need ? held : gm[g].need;
	if (target < gm[g].charged) {
		vgpu_shim_uncharge(g, gm[g].charged - target);
		gm[g].charged = target;
	} else if (target > gm[g].charged) {
		if (vgpu_shim_charge(g, target - gm[g].charged, "graph memory") == VGPU_CUDA_SUCCESS)
			gm[g].charged = target;
		else
			SHIM_WARN("graph memory: the driver's graph pool holds %llu bytes, beyond the slice",
				  (unsigned long long)held);
	}
}

/* Raise gm[g].need by bytes, charging what it passes: CUDA_SUCCESS, or
 * CUDA_ERROR_OUT_OF_MEMORY with nothing changed. Lock held. */
static vgpu_CUresult need_more(int g, uint64_t bytes, const char *what)
{
	vgpu_CUresult rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;

	for (int tries = 0; tries < 2 && rc != VGPU_CUDA_SUCCESS; tries++) {
		gm[g].need += bytes;
		if (gm[g].need <= gm[g].charged)
			return VGPU_CUDA_SUCCESS;
		rc = vgpu_shim_charge(g, gm[g].need - gm[g].charged, what);
		if (rc == VGPU_CUDA_SUCCESS) {
			gm[g].charged = gm[g].need;
			break;
		}
		gm[g].need -= bytes;
		if (tries == 0 && CU_REAL(cuDeviceGraphMemTrim)(gm[g].ordinal) == VGPU_CUDA_SUCCESS)
			settle(g); /* what the pool kept unused is given back: retry */
		else
			break;
	}
	return rc;
}

VGPU_SHIM_HOOK(cuGraphAddMemAllocNode);
vgpu_CUresult cuGraphAddMemAllocNode(vgpu_CUgraphNode *phGraphNode, vgpu_CUgraph hGraph,
				     const vgpu_CUgraphNode *dependencies, size_t numDependencies,
				     vgpu_CUDA_MEM_ALLOC_NODE_PARAMS *nodeParams)
{
	vgpu_CUresult rc = CU_REAL(cuGraphAddMemAllocNode)(phGraphNode, hGraph, dependencies, numDependencies,
							   nodeParams);

	if (vgpu_shim_enter() && rc == VGPU_CUDA_SUCCESS) {
		struct vgpu_track t = { .key = (uint64_t)(uintptr_t)hGraph, .kind = VGPU_TRACK_GRAPH };
		int ord = nodeParams->poolProps.location.id;
		int g = vgpu_shim_gpu_of_ordinal(ord);

		vgpu_track_lock();
		if (vgpu_track_get(VGPU_TRACK_GRAPH, t.key, &t) != 0) {
			t.gpu = g;
			t.aux = 0;
			vgpu_track_add(&t);
		}
		if (g < 0 || t.gpu != g)
			t.gpu = -2; /* a GPU outside the step: the graph cannot be instantiated */
		else
			gm[g].ordinal = ord;
		t.aux += vgpu_shim_round(nodeParams->bytesize);
		vgpu_track_put(&t);
		vgpu_track_unlock();
	}
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuGraphDestroy);
vgpu_CUresult cuGraphDestroy(vgpu_CUgraph hGraph)
{
	vgpu_CUresult rc = CU_REAL(cuGraphDestroy)(hGraph);

	if (vgpu_shim_enter() && rc == VGPU_CUDA_SUCCESS)
		vgpu_track_take(VGPU_TRACK_GRAPH, (uint64_t)(uintptr_t)hGraph, NULL);
	vgpu_shim_leave();
	return rc;
}

/* The instantiations: charge the graph's memory, then instantiate. */
#define INSTANTIATE(sym, call)                                                                            \
	do {                                                                                               \
		struct vgpu_track gr, x = { .kind = VGPU_TRACK_GEXEC };                                    \
		vgpu_CUresult rc;                                                                          \
		int outer = vgpu_shim_enter(), reserved;                                                   \
                                                                                                           \
		if (!outer || vgpu_track_get(VGPU_TRACK_GRAPH, (uint64_t)(uintptr_t)hGraph, &gr) != 0) {  \
			rc = call;                                                                         \
			vgpu_shim_leave();                                                                 \
			return rc;                                                                         \
		}                                                                                          \
		if (gr.gpu < 0) {                                                                          \
			SHIM_WARN(#sym ": the graph allocates on a device that is not a GPU of this step"); \
			vgpu_shim_leave();                                                                 \
			return VGPU_CUDA_ERROR_OUT_OF_MEMORY;                                              \
		}                                                                                          \
		vgpu_track_lock();                                                                         \
		gm_own(gr.gpu);                                                                            \
		rc = need_more(gr.gpu, gr.aux, #sym);                                                      \
		reserved = rc == VGPU_CUDA_SUCCESS;                                                        \
		vgpu_track_unlock();                                                                       \
		if (rc == VGPU_CUDA_SUCCESS)                                                               \
			rc = call;                                                                         \
		vgpu_track_lock();                                                                         \
		if (rc == VGPU_CUDA_SUCCESS) {                                                             \
			x.key = (uint64_t)(uintptr_t)*phGraphExec;                                         \
			x.aux = gr.aux;                                                                    \
			x.gpu = gr.gpu;                                                                    \
			vgpu_track_add(&x);                                                                \
		} else if (reserved) {                                                                     \
			gm[gr.gpu].need -= gr.aux; /* the driver refused: undo */                          \
			settle(gr.gpu);                                                                    \
		}                                                                                          \
		vgpu_track_unlock();                                                                       \
		vgpu_shim_leave();                                                                         \
		return rc;                                                                                 \
	} while (0)

VGPU_SHIM_HOOK(cuGraphInstantiateWithFlags);
vgpu_CUresult cuGraphInstantiateWithFlags(vgpu_CUgraphExec *phGraphExec, vgpu_CUgraph hGraph,
					  unsigned long long flags)
{
	INSTANTIATE(cuGraphInstantiateWithFlags, CU_REAL(cuGraphInstantiateWithFlags)(phGraphExec, hGraph, flags));
}

VGPU_SHIM_HOOK(cuGraphInstantiateWithParams);
vgpu_CUresult cuGraphInstantiateWithParams(vgpu_CUgraphExec *phGraphExec, vgpu_CUgraph hGraph,
					   vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS *instantiateParams)
{
	if (instantiateParams) { /* what a refusal by the shim leaves (the driver sets both) */
		instantiateParams->hErrNode_out = NULL;
		instantiateParams->result_out = VGPU_CUDA_GRAPH_INSTANTIATE_ERROR;
	}
	INSTANTIATE(cuGraphInstantiateWithParams,
		    CU_REAL(cuGraphInstantiateWithParams)(phGraphExec, hGraph, instantiateParams));
}

VGPU_SHIM_HOOK(cuGraphInstantiateWithParams_ptsz);
vgpu_CUresult cuGraphInstantiateWithParams_ptsz(vgpu_CUgraphExec *phGraphExec, vgpu_CUgraph hGraph,
						vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS *instantiateParams)
{
	if (instantiateParams) { /* what a refusal by the shim leaves (the driver sets both) */
		instantiateParams->hErrNode_out = NULL;
		instantiateParams->result_out = VGPU_CUDA_GRAPH_INSTANTIATE_ERROR;
	}
	INSTANTIATE(cuGraphInstantiateWithParams_ptsz,
		    CU_REAL(cuGraphInstantiateWithParams_ptsz)(phGraphExec, hGraph, instantiateParams));
}

VGPU_SHIM_HOOK(cuGraphInstantiate_v2);
vgpu_CUresult cuGraphInstantiate_v2(vgpu_CUgraphExec *phGraphExec, vgpu_CUgraph hGraph,
				    vgpu_CUgraphNode *phErrorNode, char *logBuffer, size_t bufferSize)
{
	INSTANTIATE(cuGraphInstantiate_v2,
		    CU_REAL(cuGraphInstantiate_v2)(phGraphExec, hGraph, phErrorNode, logBuffer, bufferSize));
}

VGPU_SHIM_HOOK(cuGraphInstantiate);
vgpu_CUresult cuGraphInstantiate(vgpu_CUgraphExec *phGraphExec, vgpu_CUgraph hGraph, vgpu_CUgraphNode *phErrorNode,
				 char *logBuffer, size_t bufferSize)
{
	INSTANTIATE(cuGraphInstantiate,
		    CU_REAL(cuGraphInstantiate)(phGraphExec, hGraph, phErrorNode, logBuffer, bufferSize));
}
#undef INSTANTIATE

VGPU_SHIM_HOOK(cuGraphExecDestroy);
vgpu_CUresult cuGraphExecDestroy(vgpu_CUgraphExec hGraphExec)
{
	struct vgpu_track x;
	int outer = vgpu_shim_enter();
	int found = outer && vgpu_track_take(VGPU_TRACK_GEXEC, (uint64_t)(uintptr_t)hGraphExec, &x) == 0;
	vgpu_CUresult rc = CU_REAL(cuGraphExecDestroy)(hGraphExec);

	if (found) {
		vgpu_track_lock();
		if (rc != VGPU_CUDA_SUCCESS) {
			vgpu_track_add(&x);
		} else {
			gm_own(x.gpu);
			gm[x.gpu].need -= gm[x.gpu].need >= x.aux ? x.aux : gm[x.gpu].need;
			settle(x.gpu);
		}
		vgpu_track_unlock();
	}
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuDeviceGraphMemTrim);
vgpu_CUresult cuDeviceGraphMemTrim(vgpu_CUdevice device)
{
	vgpu_CUresult rc = CU_REAL(cuDeviceGraphMemTrim)(device);

	if (vgpu_shim_enter() && rc == VGPU_CUDA_SUCCESS) {
		int g = vgpu_shim_gpu_of_ordinal(device);

		if (g >= 0) {
			vgpu_track_lock();
			gm_own(g);
			if (gm[g].charged)
				settle(g);
			vgpu_track_unlock();
		}
	}
	vgpu_shim_leave();
	return rc;
}
