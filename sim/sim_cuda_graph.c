/*
 * sim_cuda_graph.c - simulated CUDA graphs (doc/simulator.md, "Graphs").
 *
 * A graph is a list of nodes in the order they were added: a topological
 * order, since a node's dependencies must exist when it is added. Kernel,
 * empty, memory allocation and memory free nodes are modelled.
 * Instantiating snapshots the nodes into an executable graph bound to the
 * current context; a launch queues its kernel nodes' SM time on the stream
 * (sim_cuda_exec.c), one queue entry per kernel node, in order (a real GPU
 * runs independent branches concurrently; the simulated GPU runs one
 * kernel at a time in any case).
 *
 * Graph memory, as the driver does it: an allocation node's address is
 * fixed when the node is made (an address range is reserved); the memory
 * behind it is mapped when the executable graph is launched, from the
 * device's graph memory pool, and stays allocated until a free node runs
 * (or the next launch, with CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH;
 * without it, relaunching a graph whose allocation is still live is
 * CUDA_ERROR_INVALID_VALUE). Freed graph memory stays in the pool, held from
 * the GPU, for the next launches, until cuDeviceGraphMemTrim gives back what
 * no live allocation uses. The pool's growth is charged to the GPU at the
 * launch (CUDA_ERROR_OUT_OF_MEMORY when it does not fit, nothing done).
 * Not modelled: freeing graph memory outside a graph (cuMemFree /
 * cuMemFreeAsync of its address), a free node for another graph's
 * allocation, access to graph memory by copies.
 *
 * Graphs, nodes and executable graphs are never freed: destroyed ones keep a
 * zero magic (stale handles stay checkable) and are reused by the next
 * create. Locks: graph_lock, then vgpu_simcu.lock.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define GRAPH_MAGIC 0x48505247u /* "GRPH" */
#define NODE_MAGIC 0x45444f4eu  /* "NODE" */
#define GEXEC_MAGIC 0x43584547u /* "GEXC" */
#define GRAPH_MAX_NODES 4096
#define CHUNK 64 /* kernel nodes queued per pass (graph_lock is not held while a full queue blocks) */

enum gnode_kind { GNODE_EMPTY, GNODE_KERNEL, GNODE_ALLOC, GNODE_FREE };

struct sim_gnode {
	uint32_t magic;
	enum gnode_kind kind;
	uint64_t v;             /* kernel: blocks; alloc: bytes (rounded to the granule) */
	int ordinal;            /* alloc: its device */
	uintptr_t va;           /* alloc: its address */
	int freed;              /* alloc: a free node of the graph frees it */
	struct sim_gnode *alloc; /* free: the allocation node it frees */
	unsigned int op;        /* alloc: its index in the executable graph being made */
};

struct sim_graph {
	uint32_t magic;
	unsigned int n, cap;
	struct sim_gnode **nodes; /* kept across reuse (their magic is reset) */
	struct sim_graph *next;
};

struct gop {
	enum gnode_kind kind; /* GNODE_KERNEL, _ALLOC or _FREE */
	uint64_t v;           /* kernel: blocks; alloc: bytes */
	int ordinal;          /* alloc */
	unsigned int alloc;   /* free: the index of its alloc op */
	int live;             /* alloc: mapped (launched and not freed yet) */
};

struct sim_gexec {
	uint32_t magic;
	struct sim_ctx *ctx;
	unsigned long long flags;
	unsigned int n, cap, nmem;
	struct gop *ops;
	struct sim_gexec *next;
};

static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sim_graph *graphs; /* guarded by graph_lock */
static struct sim_gexec *gexecs; /* guarded by graph_lock */

vgpu_CUresult cuGraphCreate(vgpu_CUgraph *phGraph, unsigned int flags)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_graph *g;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!phGraph || flags != 0)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&graph_lock);
	for (g = graphs; g && g->magic == GRAPH_MAGIC; g = g->next)
		;
	if (!g && (g = calloc(1, sizeof(*g))) != NULL) {
		g->next = graphs;
		graphs = g;
	}
	if (g) {
		g->n = 0;
		g->magic = GRAPH_MAGIC;
	}
	pthread_mutex_unlock(&graph_lock);
	if (!g)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	*phGraph = (vgpu_CUgraph)(void *)g;
	return VGPU_CUDA_SUCCESS;
}

/* A live graph, or NULL. graph_lock is held. */
static struct sim_graph *graph_check(vgpu_CUgraph h)
{
	for (struct sim_graph *g = graphs; g; g = g->next)
		if ((void *)g == (void *)h)
			return g->magic == GRAPH_MAGIC ? g : NULL;
	return NULL;
}

vgpu_CUresult cuGraphDestroy(vgpu_CUgraph hGraph)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_graph *g;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&graph_lock);
	g = graph_check(hGraph);
	if (g) {
		for (unsigned int i = 0; i < g->n; i++)
			g->nodes[i]->magic = 0;
		g->n = 0;
		g->magic = 0;
	}
	pthread_mutex_unlock(&graph_lock);
	return g ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_VALUE;
}

/* Add a node (a copy of *proto) after deps to graph h; *out gets it. */
static vgpu_CUresult graph_add(vgpu_CUgraphNode *out, vgpu_CUgraph h, const vgpu_CUgraphNode *deps, size_t ndeps,
			       const struct sim_gnode *proto, vgpu_CUdeviceptr free_ptr)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_graph *g;
	struct sim_gnode *n = NULL, *target = NULL;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!out || (ndeps && !deps))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&graph_lock);
	rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	g = graph_check(h);
	if (!g)
		goto out;
	for (size_t i = 0; i < ndeps; i++) { /* each a live node of this graph, once */
		unsigned int k;

		for (k = 0; k < g->n && (void *)g->nodes[k] != (void *)deps[i]; k++)
			;
		if (k == g->n)
			goto out;
		for (size_t j = 0; j < i; j++)
			if (deps[j] == deps[i])
				goto out;
	}
	if (proto->kind == GNODE_FREE) { /* an allocation of this graph not freed yet */
		for (unsigned int k = 0; k < g->n && !target; k++)
			if (g->nodes[k]->kind == GNODE_ALLOC && g->nodes[k]->va == (uintptr_t)free_ptr &&
			    !g->nodes[k]->freed)
				target = g->nodes[k];
		if (!target)
			goto out;
	}
	rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	if (g->n == g->cap) {
		unsigned int cap = g->cap ? g->cap * 2 : 16;
		struct sim_gnode **nodes;

		if (g->n >= GRAPH_MAX_NODES || !(nodes = realloc(g->nodes, cap * sizeof(*nodes))))
			goto out;
		for (unsigned int i = g->cap; i < cap; i++)
			nodes[i] = NULL;
		g->nodes = nodes;
		g->cap = cap;
	}
	n = g->nodes[g->n];
	if (!n && !(n = g->nodes[g->n] = calloc(1, sizeof(*n))))
		goto out;
	*n = *proto;
	n->alloc = target;
	if (target)
		target->freed = 1;
	n->magic = NODE_MAGIC;
	g->n++;
	*out = (vgpu_CUgraphNode)(void *)n;
	rc = VGPU_CUDA_SUCCESS;
out:
	pthread_mutex_unlock(&graph_lock);
	return rc;
}

vgpu_CUresult cuGraphAddEmptyNode(vgpu_CUgraphNode *phGraphNode, vgpu_CUgraph hGraph,
				  const vgpu_CUgraphNode *dependencies, size_t numDependencies)
{
	struct sim_gnode proto = { .kind = GNODE_EMPTY };

	return graph_add(phGraphNode, hGraph, dependencies, numDependencies, &proto, 0);
}

vgpu_CUresult cuGraphAddKernelNode_v2(vgpu_CUgraphNode *phGraphNode, vgpu_CUgraph hGraph,
				      const vgpu_CUgraphNode *dependencies, size_t numDependencies,
				      const vgpu_CUDA_KERNEL_NODE_PARAMS_v2 *p)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_gnode proto = { .kind = GNODE_KERNEL };
	unsigned long long threads;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!p || (!p->func && !p->kern))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	if (vgpu_simcu_func_check(p->func, p->kern) != VGPU_CUDA_SUCCESS ||
	    (!p->func && p->ctx && !vgpu_simcu_ctx_check(p->ctx)))
		return VGPU_CUDA_ERROR_INVALID_HANDLE;
	/* cuLaunchKernel's shape checks */
	threads = (unsigned long long)p->blockDimX * p->blockDimY * p->blockDimZ;
	if (!p->gridDimX || !p->gridDimY || !p->gridDimZ || !threads || threads > 1024 || p->blockDimZ > 64 ||
	    p->gridDimY > 65535 || p->gridDimZ > 65535 || p->gridDimX > 2147483647u)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	proto.v = (uint64_t)p->gridDimX * p->gridDimY * p->gridDimZ;
	return graph_add(phGraphNode, hGraph, dependencies, numDependencies, &proto, 0);
}

vgpu_CUresult cuGraphAddKernelNode(vgpu_CUgraphNode *phGraphNode, vgpu_CUgraph hGraph,
				   const vgpu_CUgraphNode *dependencies, size_t numDependencies,
				   const vgpu_CUDA_KERNEL_NODE_PARAMS_v1 *p)
{
	vgpu_CUDA_KERNEL_NODE_PARAMS_v2 v2;

	if (!p)
		return vgpu_simcu_ready() == VGPU_CUDA_SUCCESS ? VGPU_CUDA_ERROR_INVALID_VALUE : vgpu_simcu_ready();
	memset(&v2, 0, sizeof(v2));
	memcpy(&v2, p, sizeof(*p)); /* v1 is v2's prefix (tests/unit/test_cuda_abi.c) */
	return cuGraphAddKernelNode_v2(phGraphNode, hGraph, dependencies, numDependencies, &v2);
}

vgpu_CUresult cuGraphAddMemAllocNode(vgpu_CUgraphNode *phGraphNode, vgpu_CUgraph hGraph,
				     const vgpu_CUgraphNode *dependencies, size_t numDependencies,
				     vgpu_CUDA_MEM_ALLOC_NODE_PARAMS *p)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_gnode proto = { .kind = GNODE_ALLOC };
	vgpu_CUgraphNode node = NULL;
	void *va;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!p || !p->bytesize || p->poolProps.allocType != VGPU_CU_MEM_ALLOCATION_TYPE_PINNED ||
	    p->poolProps.handleTypes != VGPU_CU_MEM_HANDLE_TYPE_NONE ||
	    p->poolProps.location.type != VGPU_CU_MEM_LOCATION_TYPE_DEVICE ||
	    !vgpu_simcu_dev(p->poolProps.location.id) || (p->accessDescCount && !p->accessDescs) ||
	    p->accessDescCount > (size_t)vgpu_simcu.ndev)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	proto.v = vgpu_simcu_round(p->bytesize);
	proto.ordinal = p->poolProps.location.id;
	if (!proto.v)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	/* the address range, reserved now (never backed: no copy reaches it) */
	va = mmap(NULL, proto.v, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (va == MAP_FAILED)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	proto.va = (uintptr_t)va;
	rc = graph_add(&node, hGraph, dependencies, numDependencies, &proto, 0);
	if (rc != VGPU_CUDA_SUCCESS) {
		munmap(va, proto.v);
		return rc;
	}
	p->dptr = (vgpu_CUdeviceptr)proto.va;
	if (phGraphNode)
		*phGraphNode = node;
	return rc;
}

vgpu_CUresult cuGraphAddMemFreeNode(vgpu_CUgraphNode *phGraphNode, vgpu_CUgraph hGraph,
				    const vgpu_CUgraphNode *dependencies, size_t numDependencies,
				    vgpu_CUdeviceptr dptr)
{
	struct sim_gnode proto = { .kind = GNODE_FREE };

	return graph_add(phGraphNode, hGraph, dependencies, numDependencies, &proto, dptr);
}

/* Append op to x; -1 when out of memory. */
static int gexec_push(struct sim_gexec *x, const struct gop *op)
{
	if (x->n == x->cap) {
		unsigned int cap = x->cap ? x->cap * 2 : 16;
		struct gop *o = realloc(x->ops, cap * sizeof(*o));

		if (!o)
			return -1;
		x->ops = o;
		x->cap = cap;
	}
	x->ops[x->n++] = *op;
	return 0;
}

/* Instantiate with flags; FLAG_UPLOAD only when upload (WithParams). */
static vgpu_CUresult instantiate(vgpu_CUgraphExec *phGraphExec, vgpu_CUgraph hGraph, unsigned long long flags,
				 int upload)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	struct sim_graph *g;
	struct sim_gexec *x = NULL;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!phGraphExec || (flags & ~0xfull) || (!upload && (flags & VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD)))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&graph_lock);
	rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	g = graph_check(hGraph);
	if (!g)
		goto out;
	rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	for (x = gexecs; x && x->magic == GEXEC_MAGIC; x = x->next)
		;
	if (!x) {
		if (!(x = calloc(1, sizeof(*x))))
			goto out;
		x->next = gexecs;
		gexecs = x;
	}
	x->n = x->nmem = 0;
	for (unsigned int i = 0; i < g->n; i++) {
		struct sim_gnode *nd = g->nodes[i];
		struct gop op = { nd->kind, nd->v, nd->ordinal, 0, 0 };

		if (nd->kind == GNODE_EMPTY)
			continue;
		if (nd->kind == GNODE_ALLOC) {
			nd->op = x->n;
			x->nmem++;
		}
		if (nd->kind == GNODE_FREE)
			op.alloc = nd->alloc->op; /* added after its allocation: numbered already */
		if (gexec_push(x, &op) != 0)
			goto out; /* x stays free for reuse */
	}
	x->ctx = c;
	x->flags = flags;
	x->magic = GEXEC_MAGIC;
	*phGraphExec = (vgpu_CUgraphExec)(void *)x;
	rc = VGPU_CUDA_SUCCESS;
out:
	pthread_mutex_unlock(&graph_lock);
	return rc;
}

vgpu_CUresult cuGraphInstantiateWithFlags(vgpu_CUgraphExec *phGraphExec, vgpu_CUgraph hGraph,
					  unsigned long long flags)
{
	return instantiate(phGraphExec, hGraph, flags, 0);
}

/* The upload (FLAG_UPLOAD, on hUploadStream) is not simulated: the stream
 * is checked, nothing is queued. */
vgpu_CUresult cuGraphInstantiateWithParams(vgpu_CUgraphExec *phGraphExec, vgpu_CUgraph hGraph,
					   vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS *p)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!p)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	if (p->flags & VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD)
		rc = vgpu_simcu_stream_ctx(p->hUploadStream, &c);
	if (rc == VGPU_CUDA_SUCCESS)
		rc = instantiate(phGraphExec, hGraph, p->flags, 1);
	p->hErrNode_out = NULL;
	p->result_out = rc == VGPU_CUDA_SUCCESS ? VGPU_CUDA_GRAPH_INSTANTIATE_SUCCESS : VGPU_CUDA_GRAPH_INSTANTIATE_ERROR;
	return rc;
}

vgpu_CUresult cuGraphInstantiateWithParams_ptsz(vgpu_CUgraphExec *phGraphExec, vgpu_CUgraph hGraph,
						vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS *p)
{
	return cuGraphInstantiateWithParams(phGraphExec, hGraph, p);
}

vgpu_CUresult cuGraphInstantiate_v2(vgpu_CUgraphExec *phGraphExec, vgpu_CUgraph hGraph,
				    vgpu_CUgraphNode *phErrorNode, char *logBuffer, size_t bufferSize)
{
	vgpu_CUresult rc = cuGraphInstantiateWithFlags(phGraphExec, hGraph, 0);

	if (rc == VGPU_CUDA_SUCCESS && phErrorNode)
		*phErrorNode = NULL;
	if (rc == VGPU_CUDA_SUCCESS && logBuffer && bufferSize)
		logBuffer[0] = '\0';
	return rc;
}

vgpu_CUresult cuGraphInstantiate(vgpu_CUgraphExec *phGraphExec, vgpu_CUgraph hGraph, vgpu_CUgraphNode *phErrorNode,
				 char *logBuffer, size_t bufferSize)
{
	return cuGraphInstantiate_v2(phGraphExec, hGraph, phErrorNode, logBuffer, bufferSize);
}

/* A live executable graph, or NULL. graph_lock is held. */
static struct sim_gexec *gexec_check(vgpu_CUgraphExec h)
{
	for (struct sim_gexec *x = gexecs; x; x = x->next)
		if ((void *)x == (void *)h)
			return x->magic == GEXEC_MAGIC ? x : NULL;
	return NULL;
}

/* Give the graph pool back x's live allocations. graph_lock and
 * vgpu_simcu.lock are held. */
static void gexec_unmap(struct sim_gexec *x)
{
	for (unsigned int i = 0; i < x->n; i++) {
		struct gop *o = &x->ops[i];
		struct sim_dev *d = o->kind == GNODE_ALLOC && o->live ? vgpu_simcu_dev(o->ordinal) : NULL;

		if (d) {
			d->graph_used -= o->v;
			o->live = 0;
		}
	}
}

/* A launch's memory nodes, in order, before its kernels are queued: the
 * pool of each device grows (charged) to the launch's peak. graph_lock is
 * held. */
static vgpu_CUresult gexec_mem(struct sim_gexec *x)
{
	uint64_t cur[VGPU_SIM_MAX_GPUS], peak[VGPU_SIM_MAX_GPUS];
	int ndev = vgpu_simcu.ndev, charged = 0;
	vgpu_CUresult rc = VGPU_CUDA_SUCCESS;

	for (unsigned int i = 0; i < x->n; i++)
		if (x->ops[i].kind == GNODE_ALLOC && x->ops[i].live &&
		    !(x->flags & VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH))
			return VGPU_CUDA_ERROR_INVALID_VALUE; /* its last allocation is still live */
	pthread_mutex_lock(&vgpu_simcu.lock);
	gexec_unmap(x); /* auto free on launch */
	for (int k = 0; k < ndev; k++)
		cur[k] = peak[k] = vgpu_simcu.dev[k].graph_used;
	for (unsigned int i = 0; i < x->n; i++) {
		const struct gop *o = &x->ops[i];

		if (o->kind == GNODE_ALLOC && (cur[o->ordinal] += o->v) > peak[o->ordinal])
			peak[o->ordinal] = cur[o->ordinal];
		else if (o->kind == GNODE_FREE)
			cur[x->ops[o->alloc].ordinal] -= x->ops[o->alloc].v;
	}
	for (; charged < ndev && rc == VGPU_CUDA_SUCCESS; charged++) {
		struct sim_dev *d = &vgpu_simcu.dev[charged];

		if (peak[charged] > d->graph_reserved)
			rc = vgpu_simcu_charge(d, peak[charged] - d->graph_reserved, 0);
	}
	if (rc != VGPU_CUDA_SUCCESS) { /* give back what was charged: nothing done */
		for (int k = 0; k < charged - 1; k++)
			if (peak[k] > vgpu_simcu.dev[k].graph_reserved)
				vgpu_simcu_uncharge(&vgpu_simcu.dev[k], peak[k] - vgpu_simcu.dev[k].graph_reserved, 0);
		goto out;
	}
	for (int k = 0; k < ndev; k++) {
		struct sim_dev *d = &vgpu_simcu.dev[k];

		if (peak[k] > d->graph_reserved)
			d->graph_reserved = peak[k];
		if (d->graph_reserved > d->graph_reserved_high)
			d->graph_reserved_high = d->graph_reserved;
		if (peak[k] > d->graph_used_high)
			d->graph_used_high = peak[k];
		d->graph_used = cur[k];
	}
	for (unsigned int i = 0; i < x->n; i++) {
		struct gop *o = &x->ops[i];

		if (o->kind == GNODE_ALLOC)
			o->live = 1;
		else if (o->kind == GNODE_FREE)
			x->ops[o->alloc].live = 0;
	}
out:
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuGraphExecDestroy(vgpu_CUgraphExec hGraphExec)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_gexec *x;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&graph_lock);
	x = gexec_check(hGraphExec);
	if (x) {
		pthread_mutex_lock(&vgpu_simcu.lock);
		gexec_unmap(x); /* (a real driver leaves them to cuMemFree) */
		pthread_mutex_unlock(&vgpu_simcu.lock);
		x->magic = 0;
	}
	pthread_mutex_unlock(&graph_lock);
	return x ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_VALUE;
}

vgpu_CUresult cuGraphLaunch(vgpu_CUgraphExec hGraphExec, vgpu_CUstream hStream)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_ctx *c = NULL;
	struct sim_gexec *x;
	uint64_t units[CHUNK];
	unsigned int n, pos = 0;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	rc = vgpu_simcu_stream_ctx(hStream, &c);
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	do {
		n = 0;
		pthread_mutex_lock(&graph_lock);
		x = gexec_check(hGraphExec);
		if (!x)
			rc = VGPU_CUDA_ERROR_INVALID_VALUE;
		else if (x->ctx != c)
			rc = VGPU_CUDA_ERROR_INVALID_CONTEXT;
		else if (pos == 0 && x->nmem)
			rc = gexec_mem(x);
		for (; rc == VGPU_CUDA_SUCCESS && pos < x->n && n < CHUNK; pos++)
			if (x->ops[pos].kind == GNODE_KERNEL)
				units[n++] = x->ops[pos].v;
		pthread_mutex_unlock(&graph_lock);
		for (unsigned int i = 0; rc == VGPU_CUDA_SUCCESS && i < n; i++)
			rc = vgpu_simcu_enqueue(hStream, units[i]);
	} while (rc == VGPU_CUDA_SUCCESS && n == CHUNK);
	return rc;
}

vgpu_CUresult cuGraphLaunch_ptsz(vgpu_CUgraphExec hGraphExec, vgpu_CUstream hStream)
{
	return cuGraphLaunch(hGraphExec, hStream);
}

/* Checks shared by the device graph memory calls. */
static vgpu_CUresult graph_dev(vgpu_CUdevice device, struct sim_dev **d)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	*d = vgpu_simcu_dev(device);
	return *d ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_DEVICE;
}

vgpu_CUresult cuDeviceGraphMemTrim(vgpu_CUdevice device)
{
	struct sim_dev *d = NULL;
	vgpu_CUresult rc = graph_dev(device, &d);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (d->graph_reserved > d->graph_used) {
		vgpu_simcu_uncharge(d, d->graph_reserved - d->graph_used, 0);
		d->graph_reserved = d->graph_used;
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGetGraphMemAttribute(vgpu_CUdevice device, vgpu_CUgraphMem_attribute attr, void *value)
{
	struct sim_dev *d = NULL;
	vgpu_CUresult rc = graph_dev(device, &d);
	uint64_t v;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!value || (unsigned int)attr > VGPU_CU_GRAPH_MEM_ATTR_RESERVED_MEM_HIGH)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	v = attr == VGPU_CU_GRAPH_MEM_ATTR_USED_MEM_CURRENT ? d->graph_used :
	    attr == VGPU_CU_GRAPH_MEM_ATTR_USED_MEM_HIGH ? d->graph_used_high :
	    attr == VGPU_CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT ? d->graph_reserved : d->graph_reserved_high;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	memcpy(value, &v, sizeof(v));
	return VGPU_CUDA_SUCCESS;
}
