/*
 * test_simmodule - modules and libraries of the simulated driver
 * (doc/simulator.md, "Modules"): load, get, launch, unload; handles that are
 * not a loaded module's function are CUDA_ERROR_INVALID_HANDLE everywhere a
 * function is taken (launches, graph kernel nodes, cuFuncGetAttribute), and
 * so is a function of another context's module; a module's device memory
 * (2 MiB-granular code plus its globals) shows in NVML and goes back at
 * unload, with its context, and when the loading process is SIGKILLed;
 * global variable sizes read from PTX; CUkernel handles (CUDA 12) launch
 * and load their library into each context at first use, once even when
 * threads race to it.
 */
#include "simtest.h"
#include "simptx.h"

#include <pthread.h>
#include <stdint.h>

typedef vgpu_CUresult (*coop_fn)(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
				 unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
				 vgpu_CUstream s, void **params);
typedef vgpu_CUresult (*ex_fn)(const vgpu_CUlaunchConfig *c, vgpu_CUfunction f, void **params, void **extra);

/* Everything a case needs, loaded from the simulator. */
struct api {
	void *h, *n;
	vgpu_pfn_cuInit init;
	vgpu_pfn_cuDevicePrimaryCtxRetain retain;
	vgpu_pfn_cuCtxSetCurrent set_current;
	vgpu_pfn_cuCtxCreate_v2 ctx_create;
	vgpu_pfn_cuCtxDestroy_v2 ctx_destroy;
	vgpu_pfn_cuLaunchKernel launch;
	vgpu_pfn_cuLaunchKernel_ptsz launch_ptsz;
	vgpu_pfn_cuModuleLoadData load;
	vgpu_pfn_cuModuleLoadDataEx load_ex;
	vgpu_pfn_cuModuleLoad load_file;
	vgpu_pfn_cuModuleLoadFatBinary load_fat;
	vgpu_pfn_cuModuleUnload unload;
	vgpu_pfn_cuModuleGetFunction get_function;
	vgpu_pfn_cuModuleGetGlobal_v2 get_global;
	vgpu_pfn_cuLibraryLoadData lib_load;
	vgpu_pfn_cuLibraryLoadFromFile lib_load_file;
	vgpu_pfn_cuLibraryUnload lib_unload;
	vgpu_pfn_cuLibraryGetKernel lib_kernel;
	vgpu_pfn_cuLibraryGetModule lib_module;
	vgpu_pfn_cuLibraryGetGlobal lib_global;
	vgpu_pfn_cuKernelGetFunction kernel_function;
	vgpu_pfn_cuFuncGetAttribute func_attr;
	vgpu_pfn_cuMemcpyHtoD_v2 htod;
	vgpu_pfn_cuMemcpyDtoH_v2 dtoh;
	vgpu_pfn_cuGraphCreate graph_create;
	vgpu_pfn_cuGraphAddKernelNode_v2 graph_kernel;
	coop_fn coop;
	ex_fn ex;
	vgpu_pfn_nvmlInit_v2 nvml_init;
	vgpu_pfn_nvmlDeviceGetHandleByIndex_v2 nvml_dev;
	vgpu_pfn_nvmlDeviceGetMemoryInfo nvml_mem;
};

#define SYM(a, lib, field, name) (a)->field = (__typeof__((a)->field))sim_sym((a)->lib, name)

static void api_load(struct api *a, const char *state)
{
	char path[1024];

	use_node("simtest-a");
	snprintf(path, sizeof(path), "%s/%s", sim_dir, state);
	setenv("VGPU_SIM_STATE", path, 1);
	a->h = sim_open("libcuda.so.1");
	a->n = sim_open("libnvidia-ml.so.1");
	SYM(a, h, init, "cuInit");
	SYM(a, h, retain, "cuDevicePrimaryCtxRetain");
	SYM(a, h, set_current, "cuCtxSetCurrent");
	SYM(a, h, ctx_create, "cuCtxCreate_v2");
	SYM(a, h, ctx_destroy, "cuCtxDestroy_v2");
	SYM(a, h, launch, "cuLaunchKernel");
	SYM(a, h, launch_ptsz, "cuLaunchKernel_ptsz");
	SYM(a, h, load, "cuModuleLoadData");
	SYM(a, h, load_ex, "cuModuleLoadDataEx");
	SYM(a, h, load_file, "cuModuleLoad");
	SYM(a, h, load_fat, "cuModuleLoadFatBinary");
	SYM(a, h, unload, "cuModuleUnload");
	SYM(a, h, get_function, "cuModuleGetFunction");
	SYM(a, h, get_global, "cuModuleGetGlobal_v2");
	SYM(a, h, lib_load, "cuLibraryLoadData");
	SYM(a, h, lib_load_file, "cuLibraryLoadFromFile");
	SYM(a, h, lib_unload, "cuLibraryUnload");
	SYM(a, h, lib_kernel, "cuLibraryGetKernel");
	SYM(a, h, lib_module, "cuLibraryGetModule");
	SYM(a, h, lib_global, "cuLibraryGetGlobal");
	SYM(a, h, kernel_function, "cuKernelGetFunction");
	SYM(a, h, func_attr, "cuFuncGetAttribute");
	SYM(a, h, htod, "cuMemcpyHtoD_v2");
	SYM(a, h, dtoh, "cuMemcpyDtoH_v2");
	SYM(a, h, graph_create, "cuGraphCreate");
	SYM(a, h, graph_kernel, "cuGraphAddKernelNode_v2");
	SYM(a, h, coop, "cuLaunchCooperativeKernel");
	SYM(a, h, ex, "cuLaunchKernelEx");
	SYM(a, n, nvml_init, "nvmlInit_v2");
	SYM(a, n, nvml_dev, "nvmlDeviceGetHandleByIndex_v2");
	SYM(a, n, nvml_mem, "nvmlDeviceGetMemoryInfo");
}

/* NVML's used MiB of node GPU gpu (all processes), or -1. */
static long long used_mib(struct api *a, unsigned int gpu)
{
	vgpu_nvmlDevice_t d;
	vgpu_nvmlMemory_t m;

	if (a->nvml_init() != 0 || a->nvml_dev(gpu, &d) != 0 || a->nvml_mem(d, &m) != 0)
		return -1;
	return (long long)(m.used / MIB);
}

/* cuInit and the primary context of device 0, current. */
static int start(struct api *a, vgpu_CUcontext *c)
{
	return CHECK_EQ_INT(a->init(0), 0, "cuInit") && CHECK_EQ_INT(a->retain(c, 0), 0, "retain device 0") &&
	       CHECK_EQ_INT(a->set_current(*c), 0, "make it current");
}

static void basic_case(void *arg)
{
	struct api a;
	vgpu_CUcontext c = NULL;
	vgpu_CUmodule m = NULL, m2 = NULL;
	vgpu_CUfunction f = NULL, f2 = NULL, idle = NULL;
	vgpu_CUdeviceptr p = 0;
	vgpu_CUlaunchConfig cfg = { 4, 1, 1, 128, 1, 1, 0, NULL, NULL, 0 };
	size_t bytes = 0;
	uint32_t v = 41;
	long long base;
	int attr = -1;

	(void)arg;
	api_load(&a, "state-basic");
	CHECK_EQ_INT(a.load(&m, SIM_PTX), VGPU_CUDA_ERROR_NOT_INITIALIZED, "load before cuInit");
	CHECK_EQ_INT(a.init(0), 0, "cuInit");
	CHECK_EQ_INT(a.load(&m, SIM_PTX), VGPU_CUDA_ERROR_INVALID_CONTEXT, "load without a current context");
	if (!start(&a, &c))
		return;
	base = used_mib(&a, 0);
	CHECK_EQ_INT(a.load(&m, SIM_PTX), 0, "cuModuleLoadData of PTX");
	CHECK_EQ_INT(used_mib(&a, 0) - base, 4, "NVML shows the module: 2 MiB code + 2 MiB globals");
	CHECK_EQ_INT(a.get_function(&f, m, "spin"), 0, "cuModuleGetFunction spin");
	CHECK_EQ_INT(a.get_function(&f2, m, "spin"), 0, "again");
	check(f && f == f2, "the same name gives the same handle");
	CHECK_EQ_INT(a.get_function(&idle, m, "idle"), 0, "cuModuleGetFunction idle");
	check(idle && idle != f, "another kernel, another handle");
	CHECK_EQ_INT(a.get_function(&f2, m, "spinx"), VGPU_CUDA_ERROR_NOT_FOUND, "an unknown kernel name");
	CHECK_EQ_INT(a.get_function(&f2, m, "buf"), VGPU_CUDA_ERROR_NOT_FOUND, "a global is not a kernel");
	CHECK_EQ_INT(a.get_function(NULL, m, "spin"), VGPU_CUDA_ERROR_INVALID_VALUE, "NULL out");

	CHECK_EQ_INT(a.launch(f, 8, 1, 1, 128, 1, 1, 0, NULL, NULL, NULL), 0, "cuLaunchKernel of a loaded kernel");
	CHECK_EQ_INT(a.launch_ptsz(idle, 8, 1, 1, 128, 1, 1, 0, NULL, NULL, NULL), 0, "cuLaunchKernel_ptsz");
	CHECK_EQ_INT(a.ex(&cfg, f, NULL, NULL), 0, "cuLaunchKernelEx");
	CHECK_EQ_INT(a.coop(f, 4, 1, 1, 128, 1, 1, 0, NULL, NULL), 0, "cuLaunchCooperativeKernel");
	CHECK_EQ_INT(a.launch(f, 0, 1, 1, 128, 1, 1, 0, NULL, NULL, NULL), VGPU_CUDA_ERROR_INVALID_VALUE,
		     "the shape is still checked");

	CHECK_EQ_INT(a.get_global(&p, &bytes, m, "buf"), 0, "cuModuleGetGlobal_v2 buf");
	CHECK_EQ_INT(bytes, 4096, "buf is 4096 bytes");
	CHECK_EQ_INT(a.get_global(&p, &bytes, m, "counter"), 0, "counter");
	CHECK_EQ_INT(bytes, 4, "counter is 4 bytes");
	CHECK_EQ_INT(a.htod(p, &v, sizeof(v)), 0, "copy to a global");
	v = 0;
	CHECK_EQ_INT(a.dtoh(&v, p, sizeof(v)), 0, "copy it back");
	CHECK_EQ_INT(v, 41, "a global holds data");
	CHECK_EQ_INT(a.get_global(NULL, &bytes, m, "buf"), 0, "a NULL dptr is ignored");
	CHECK_EQ_INT(a.get_global(&p, &bytes, m, "spin"), VGPU_CUDA_ERROR_NOT_FOUND, "a kernel is not a global");

	CHECK_EQ_INT(a.func_attr(&attr, VGPU_CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f), 0, "cuFuncGetAttribute");
	CHECK_EQ_INT(attr, 1024, "max threads per block");
	CHECK_EQ_INT(a.func_attr(&attr, VGPU_CU_FUNC_ATTRIBUTE_BINARY_VERSION, f), 0, "binary version");
	CHECK_EQ_INT(attr, 90, "the GPU's compute capability");
	CHECK_EQ_INT(a.func_attr(&attr, VGPU_CU_FUNC_ATTRIBUTE_MAX, f), VGPU_CUDA_ERROR_INVALID_VALUE,
		     "an attribute past the last");

	CHECK_EQ_INT(a.load(&m2, SIM_PTX), 0, "a second copy of the module");
	CHECK_EQ_INT(a.get_function(&f2, m2, "spin"), 0, "its kernel");
	check(f2 != f, "each module has its own functions");
	CHECK_EQ_INT(used_mib(&a, 0) - base, 8, "two modules take 8 MiB");
	CHECK_EQ_INT(a.unload(m), 0, "cuModuleUnload");
	CHECK_EQ_INT(used_mib(&a, 0) - base, 4, "unload gives the module's memory back");
	CHECK_EQ_INT(a.launch(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "a function of an unloaded module");
	CHECK_EQ_INT(a.get_function(&f, m, "spin"), VGPU_CUDA_ERROR_INVALID_HANDLE, "an unloaded module");
	CHECK_EQ_INT(a.unload(m), VGPU_CUDA_ERROR_INVALID_HANDLE, "unload twice");
	CHECK_EQ_INT(a.launch(f2, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), 0, "the other module still launches");
	CHECK_EQ_INT(a.unload(m2), 0, "unload the second");
	CHECK_EQ_INT(used_mib(&a, 0) - base, 0, "all back");
}

static void bad_handles_case(void *arg)
{
	struct api a;
	vgpu_CUcontext c = NULL;
	vgpu_CUfunction fake = (vgpu_CUfunction)(void *)&a;
	vgpu_CUlaunchConfig cfg = { 1, 1, 1, 32, 1, 1, 0, NULL, NULL, 0 };
	vgpu_CUDA_KERNEL_NODE_PARAMS_v2 kp;
	vgpu_CUgraph g = NULL;
	vgpu_CUgraphNode node = NULL;
	vgpu_CUmodule m = NULL;
	vgpu_CUfunction f = NULL;
	vgpu_CUkernel k = NULL;
	vgpu_CUlibrary l = NULL;
	int attr = 0;
	static const char elf[64] = "\177ELF\002\001\001";
	static const char bad_ptx[] = ".version 8.0\n.target sm_80\n.global .u32 x[];\n";
	static const char not_ptx[] = "this is not a module";
	vgpu_CUjit_option opt = VGPU_CU_JIT_NUM_OPTIONS;
	void *optval = NULL;

	(void)arg;
	api_load(&a, "state-bad");
	if (!start(&a, &c))
		return;
	CHECK_EQ_INT(a.launch(fake, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "cuLaunchKernel of a made-up handle");
	CHECK_EQ_INT(a.launch(NULL, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "cuLaunchKernel of NULL");
	CHECK_EQ_INT(a.launch_ptsz(fake, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "cuLaunchKernel_ptsz");
	CHECK_EQ_INT(a.ex(&cfg, fake, NULL, NULL), VGPU_CUDA_ERROR_INVALID_HANDLE, "cuLaunchKernelEx");
	CHECK_EQ_INT(a.coop(fake, 1, 1, 1, 32, 1, 1, 0, NULL, NULL), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "cuLaunchCooperativeKernel");
	CHECK_EQ_INT(a.func_attr(&attr, VGPU_CU_FUNC_ATTRIBUTE_NUM_REGS, fake), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "cuFuncGetAttribute");
	CHECK_EQ_INT(a.graph_create(&g, 0), 0, "a graph");
	memset(&kp, 0, sizeof(kp));
	kp.func = fake;
	kp.gridDimX = kp.gridDimY = kp.gridDimZ = 1;
	kp.blockDimX = 32;
	kp.blockDimY = kp.blockDimZ = 1;
	CHECK_EQ_INT(a.graph_kernel(&node, g, NULL, 0, &kp), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "a graph kernel node of a made-up function");
	kp.func = NULL;
	kp.kern = (vgpu_CUkernel)(void *)&a;
	CHECK_EQ_INT(a.graph_kernel(&node, g, NULL, 0, &kp), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "a graph kernel node of a made-up CUkernel");
	CHECK_EQ_INT(a.get_function(&f, (vgpu_CUmodule)(void *)&a, "spin"), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "cuModuleGetFunction of a made-up module");
	CHECK_EQ_INT(a.unload((vgpu_CUmodule)(void *)&a), VGPU_CUDA_ERROR_INVALID_HANDLE, "cuModuleUnload of one");
	CHECK_EQ_INT(a.lib_kernel(&k, (vgpu_CUlibrary)(void *)&a, "spin"), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "cuLibraryGetKernel of a made-up library");
	CHECK_EQ_INT(a.lib_unload((vgpu_CUlibrary)(void *)&a), VGPU_CUDA_ERROR_INVALID_HANDLE, "cuLibraryUnload");
	CHECK_EQ_INT(a.kernel_function(&f, (vgpu_CUkernel)(void *)&a), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "cuKernelGetFunction of a made-up kernel");

	/* images */
	CHECK_EQ_INT(a.load(&m, not_ptx), VGPU_CUDA_ERROR_INVALID_IMAGE, "not an image");
	CHECK_EQ_INT(a.load(&m, elf), VGPU_CUDA_ERROR_INVALID_IMAGE, "a cubin (ELF) is refused");
	CHECK_EQ_INT(a.load_fat(&m, elf), VGPU_CUDA_ERROR_INVALID_IMAGE, "cuModuleLoadFatBinary too");
	CHECK_EQ_INT(a.load(&m, bad_ptx), VGPU_CUDA_ERROR_INVALID_PTX, "PTX whose global cannot be sized");
	CHECK_EQ_INT(a.load(NULL, SIM_PTX), VGPU_CUDA_ERROR_INVALID_VALUE, "NULL module");
	CHECK_EQ_INT(a.load(&m, NULL), VGPU_CUDA_ERROR_INVALID_VALUE, "NULL image");
	CHECK_EQ_INT(a.load_ex(&m, SIM_PTX, 1, &opt, &optval), VGPU_CUDA_ERROR_INVALID_VALUE, "an unknown JIT option");
	CHECK_EQ_INT(a.lib_load(&l, elf, NULL, NULL, 0, NULL, NULL, 0), VGPU_CUDA_ERROR_INVALID_IMAGE,
		     "cuLibraryLoadData of a cubin");
	CHECK_EQ_INT(a.load_file(&m, "/nonexistent/module.ptx"), VGPU_CUDA_ERROR_FILE_NOT_FOUND, "cuModuleLoad");
	CHECK_EQ_INT(a.lib_load_file(&l, "/nonexistent/module.ptx", NULL, NULL, 0, NULL, NULL, 0),
		     VGPU_CUDA_ERROR_FILE_NOT_FOUND, "cuLibraryLoadFromFile");
	opt = VGPU_CU_JIT_MAX_REGISTERS;
	optval = (void *)(uintptr_t)32;
	CHECK_EQ_INT(a.load_ex(&m, SIM_PTX, 1, &opt, &optval), 0, "cuModuleLoadDataEx with a JIT option");
	CHECK_EQ_INT(a.get_function(&f, m, "spin"), 0, "its kernel");
	kp.func = f;
	kp.kern = NULL;
	CHECK_EQ_INT(a.graph_kernel(&node, g, NULL, 0, &kp), 0, "a graph kernel node of a loaded function");
	CHECK_EQ_INT(a.unload(m), 0, "unload");
}

static void cross_context_case(void *arg)
{
	struct api a;
	vgpu_CUcontext p = NULL, c1 = NULL, c2 = NULL;
	vgpu_CUmodule m = NULL;
	vgpu_CUfunction f = NULL;
	long long base0, base1;

	(void)arg;
	api_load(&a, "state-cross");
	if (!start(&a, &p))
		return;
	CHECK_EQ_INT(a.ctx_create(&c1, 0, 0), 0, "a second context on device 0");
	base0 = used_mib(&a, 0);
	CHECK_EQ_INT(a.load(&m, SIM_PTX), 0, "load in it");
	CHECK_EQ_INT(a.get_function(&f, m, "spin"), 0, "its kernel");
	CHECK_EQ_INT(a.launch(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), 0, "launch in its context");
	CHECK_EQ_INT(a.set_current(p), 0, "switch to the primary context (same GPU)");
	CHECK_EQ_INT(a.launch(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "a function of another context's module");
	CHECK_EQ_INT(a.ctx_create(&c2, 0, 1), 0, "a context on device 1");
	base1 = used_mib(&a, 1);
	CHECK_EQ_INT(a.launch(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "nor on another GPU");
	CHECK_EQ_INT(used_mib(&a, 1) - base1, 0, "nothing loaded on GPU 1");
	CHECK_EQ_INT(a.ctx_destroy(c1), 0, "destroy the module's context");
	CHECK_EQ_INT(used_mib(&a, 0) - base0, -100, "its context (100 MiB) and module (4 MiB) are freed");
	CHECK_EQ_INT(a.unload(m), VGPU_CUDA_ERROR_INVALID_HANDLE, "the module went with its context");
	CHECK_EQ_INT(a.launch(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "and its functions");
	CHECK_EQ_INT(a.ctx_destroy(c2), 0, "destroy the other");
}

static void library_case(void *arg)
{
	struct api a;
	vgpu_CUcontext p = NULL, c1 = NULL;
	vgpu_CUlibrary l = NULL, l2 = NULL;
	vgpu_CUkernel k = NULL, k2 = NULL;
	vgpu_CUfunction f = NULL, f2 = NULL;
	vgpu_CUmodule m = NULL;
	vgpu_CUdeviceptr g = 0;
	size_t bytes = 0;
	long long base0, base1;
	char path[1024];

	(void)arg;
	api_load(&a, "state-lib");
	CHECK_EQ_INT(a.init(0), 0, "cuInit");
	base0 = used_mib(&a, 0);
	CHECK_EQ_INT(a.lib_load(&l2, SIM_PTX, NULL, NULL, 0, NULL, NULL, 0), 0,
		     "cuLibraryLoadData without a context");
	CHECK_EQ_INT(used_mib(&a, 0) - base0, 0, "nothing is loaded on a GPU yet");
	if (!CHECK_EQ_INT(a.retain(&p, 0), 0, "retain") || !CHECK_EQ_INT(a.set_current(p), 0, "current"))
		return;
	base0 = used_mib(&a, 0);
	CHECK_EQ_INT(a.lib_kernel(&k2, l2, "idle"), 0, "its kernel");
	CHECK_EQ_INT(a.launch((vgpu_CUfunction)(void *)k2, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), 0,
		     "a CUkernel launched as a CUfunction");
	CHECK_EQ_INT(used_mib(&a, 0) - base0, 4, "loads the library into the context at first use");
	CHECK_EQ_INT(a.lib_unload(l2), 0, "cuLibraryUnload");
	CHECK_EQ_INT(used_mib(&a, 0) - base0, 0, "gives it back");
	CHECK_EQ_INT(a.launch((vgpu_CUfunction)(void *)k2, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL),
		     VGPU_CUDA_ERROR_INVALID_HANDLE, "a kernel of an unloaded library");

	snprintf(path, sizeof(path), "%s/lib.ptx", sim_dir);
	sim_write(path, SIM_PTX);
	CHECK_EQ_INT(a.lib_load_file(&l, path, NULL, NULL, 0, NULL, NULL, 0), 0, "cuLibraryLoadFromFile");
	CHECK_EQ_INT(used_mib(&a, 0) - base0, 4, "loaded into the current context");
	CHECK_EQ_INT(a.lib_kernel(&k, l, "spin"), 0, "cuLibraryGetKernel");
	CHECK_EQ_INT(a.lib_kernel(&k2, l, "nope"), VGPU_CUDA_ERROR_NOT_FOUND, "an unknown kernel");
	CHECK_EQ_INT(a.kernel_function(&f, k), 0, "cuKernelGetFunction");
	CHECK_EQ_INT(a.lib_module(&m, l), 0, "cuLibraryGetModule");
	CHECK_EQ_INT(a.get_function(&f2, m, "spin"), 0, "its module's function");
	check(f && f == f2, "the kernel's function is its module's");
	CHECK_EQ_INT(a.unload(m), VGPU_CUDA_ERROR_INVALID_HANDLE, "a library's module is not unloaded alone");
	CHECK_EQ_INT(a.launch(f, 2, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), 0, "launch the function");
	CHECK_EQ_INT(a.lib_global(&g, &bytes, l, "buf"), 0, "cuLibraryGetGlobal");
	CHECK_EQ_INT(bytes, 4096, "its size");
	CHECK_EQ_INT(used_mib(&a, 0) - base0, 4, "still one copy on GPU 0");

	CHECK_EQ_INT(a.ctx_create(&c1, 0, 1), 0, "a context on device 1 (current)");
	base1 = used_mib(&a, 1);
	CHECK_EQ_INT(a.launch(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "GPU 0's function in device 1's context");
	CHECK_EQ_INT(used_mib(&a, 1) - base1, 0, "not loaded on GPU 1 yet");
	CHECK_EQ_INT(a.launch((vgpu_CUfunction)(void *)k, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), 0,
		     "the CUkernel resolves in any context");
	CHECK_EQ_INT(used_mib(&a, 1) - base1, 4, "and loads the library there");
	CHECK_EQ_INT(a.kernel_function(&f2, k), 0, "cuKernelGetFunction in device 1's context");
	check(f2 && f2 != f, "another function in another context");
	CHECK_EQ_INT(a.lib_unload(l), 0, "cuLibraryUnload");
	CHECK_EQ_INT(used_mib(&a, 0) - base0, 0, "GPU 0 gets its memory back");
	CHECK_EQ_INT(used_mib(&a, 1) - base1, 0, "GPU 1 too");
	CHECK_EQ_INT(a.launch(f2, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL), VGPU_CUDA_ERROR_INVALID_HANDLE,
		     "functions of an unloaded library");
	CHECK_EQ_INT(a.ctx_destroy(c1), 0, "destroy the context");
}

/* Global variable sizes from PTX, the data segment's rounding, file loads,
 * and a module too big for the GPU. */
static void sizes_case(void *arg)
{
	static const char ptx[] =
		"// sizes\n.version 8.0\n.target sm_90\n.address_size 64\n"
		".global .align 8 .b8 a[100];\n"
		".visible .global .u32 s;\n"
		".global .f64 d[3][4];\n"
		".global .v4 .f32 v[2];\n"
		".const .align 4 .b8 c[64];\n"
		".extern .global .u32 e;\n"
		".global .u64 p = 5;\n"
		".global .u32 arr[3] = {1, 2, 3};\n"
		".global .u8 m1, m2[7];\n"
		"/* .global .b8 commented[1000]; */\n"
		".global .b8 big[5242881];\n"
		".visible .entry k1(.param .u64 x) { .reg .b32 %r<2>; ld.global.u32 %r1, [s]; ret; }\n";
	static const struct {
		const char *name;
		long long size;
	} want[] = { { "a", 100 }, { "s", 4 }, { "d", 96 }, { "v", 32 }, { "c", 64 }, { "p", 8 },
		     { "arr", 12 }, { "m1", 1 }, { "m2", 7 }, { "big", 5242881 } };
	char huge[256], path[1024];
	struct api a;
	vgpu_CUcontext c = NULL;
	vgpu_CUmodule m = NULL;
	vgpu_CUdeviceptr ptr = 0;
	size_t bytes = 0;
	long long base;

	(void)arg;
	api_load(&a, "state-sizes");
	if (!start(&a, &c))
		return;
	base = used_mib(&a, 0);
	CHECK_EQ_INT(a.load(&m, ptx), 0, "load");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_EQ_INT(a.get_global(&ptr, &bytes, m, want[i].name), 0, want[i].name);
		CHECK_EQ_INT(bytes, want[i].size, want[i].name);
	}
	CHECK_EQ_INT(a.get_global(&ptr, &bytes, m, "e"), VGPU_CUDA_ERROR_NOT_FOUND, "an .extern is not defined here");
	CHECK_EQ_INT(a.get_global(&ptr, &bytes, m, "commented"), VGPU_CUDA_ERROR_NOT_FOUND, "nor a comment");
	/* globals: 5242881 + 324 bytes -> 6 MiB; code: 2 MiB */
	CHECK_EQ_INT(used_mib(&a, 0) - base, 8, "2 MiB code + globals rounded up to 6 MiB");
	CHECK_EQ_INT(a.unload(m), 0, "unload");
	CHECK_EQ_INT(used_mib(&a, 0) - base, 0, "all back");

	snprintf(path, sizeof(path), "%s/mod.ptx", sim_dir);
	sim_write(path, ptx);
	CHECK_EQ_INT(a.load_file(&m, path), 0, "cuModuleLoad from a file");
	CHECK_EQ_INT(used_mib(&a, 0) - base, 8, "the same memory");
	CHECK_EQ_INT(a.unload(m), 0, "unload");

	/* GPU 0: 960 MiB usable, 100 MiB taken by the context */
	snprintf(huge, sizeof(huge), ".version 8.0\n.target sm_90\n.global .b8 huge[%llu];\n", 900 * MIB);
	CHECK_EQ_INT(a.load(&m, huge), VGPU_CUDA_ERROR_OUT_OF_MEMORY, "a module larger than the free memory");
	CHECK_EQ_INT(used_mib(&a, 0) - base, 0, "nothing charged");
}

/* A process SIGKILLed with a module loaded: the GPU gets the memory back. */
static void kill_case(void *arg)
{
	struct api a;
	int fds[2];
	char buf = 0;
	pid_t pid;
	long long base, loaded;
	int status = 0;

	(void)arg;
	api_load(&a, "state-kill");
	base = used_mib(&a, 0);
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		check(0, "pipe/fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		vgpu_CUcontext c = NULL;
		vgpu_CUmodule m = NULL;

		close(fds[0]);
		buf = (a.init(0) == 0 && a.retain(&c, 0) == 0 && a.set_current(c) == 0 && a.load(&m, SIM_PTX) == 0)
			      ? 'y'
			      : 'n';
		if (write(fds[1], &buf, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	while (read(fds[0], &buf, 1) < 0 && errno == EINTR)
		;
	close(fds[0]);
	CHECK_EQ_INT(buf, 'y', "the child loaded a module");
	loaded = used_mib(&a, 0);
	CHECK_EQ_INT(loaded - base, 104, "its context (100 MiB) and module (4 MiB) are on the GPU");
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	CHECK_EQ_INT(used_mib(&a, 0) - base, 0, "SIGKILL gives them back");
}

/* Threads launching one CUkernel at once in a context it is not loaded in
 * yet: the library is loaded there once. */
struct racer {
	struct api *a;
	vgpu_CUcontext c;
	vgpu_CUkernel k;
	int bad;
};

static void *race_launch(void *arg)
{
	struct racer *r = arg;

	if (r->a->set_current(r->c) != 0)
		r->bad++;
	for (int i = 0; i < 50; i++)
		r->bad += r->a->launch((vgpu_CUfunction)(void *)r->k, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL) != 0;
	return NULL;
}

static void threads_case(void *arg)
{
	struct api a;
	vgpu_CUcontext p = NULL, c1 = NULL;
	vgpu_CUlibrary l = NULL;
	struct racer r[4];
	pthread_t t[4];
	long long base1;
	int bad = 0, started = 0;

	(void)arg;
	api_load(&a, "state-threads");
	if (!start(&a, &p))
		return;
	CHECK_EQ_INT(a.lib_load(&l, SIM_PTX, NULL, NULL, 0, NULL, NULL, 0), 0, "a library (in device 0's context)");
	CHECK_EQ_INT(a.ctx_create(&c1, 0, 1), 0, "a context on device 1");
	base1 = used_mib(&a, 1);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){ &a, c1, NULL, 0 };
		CHECK_EQ_INT(a.lib_kernel(&r[i].k, l, "spin"), 0, "the kernel");
	}
	for (int i = 0; i < 4; i++)
		started += pthread_create(&t[i], NULL, race_launch, &r[i]) == 0;
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		bad += r[i].bad;
	}
	CHECK_EQ_INT(started, 4, "4 threads");
	CHECK_EQ_INT(bad, 0, "200 launches of the kernel from 4 threads at once");
	CHECK_EQ_INT(used_mib(&a, 1) - base1, 4, "the library was loaded into device 1's context once");
	CHECK_EQ_INT(a.lib_unload(l), 0, "unload");
	CHECK_EQ_INT(used_mib(&a, 1) - base1, 0, "all back");
	CHECK_EQ_INT(a.ctx_destroy(c1), 0, "destroy the context");
}

int main(void)
{
	sim_setup();
	write_nodes();
	sim_run(basic_case, NULL, "load, get, launch, unload");
	sim_run(bad_handles_case, NULL, "bad handles and images");
	sim_run(cross_context_case, NULL, "handles of another context");
	sim_run(library_case, NULL, "libraries and kernels");
	sim_run(sizes_case, NULL, "global sizes");
	sim_run(kill_case, NULL, "SIGKILL");
	sim_run(threads_case, NULL, "a library loaded by racing launches");
	return sim_done();
}
