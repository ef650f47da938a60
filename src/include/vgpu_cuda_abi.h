/*
 * vgpu_cuda_abi.h - our own declarations of the part of the CUDA driver API
 * (libcuda.so.1, CUDA 13.0) that slurm-vgpu implements (the simulated
 * driver, sim/) or intercepts (the shim).
 *
 * No NVIDIA header is copied or needed: values, layouts and versioned entry
 * point names were checked against the public cuda.h / cudaTypedefs.h and
 * written here independently. tests/unit/test_cuda_abi.c compares every one
 * of them with NVIDIA's headers where those are installed.
 *
 * How the names are made comparable:
 *  - Types and constants carry a vgpu_ / VGPU_ prefix (vgpu_CUresult,
 *    VGPU_CUDA_ERROR_OUT_OF_MEMORY, vgpu_CUmemAllocationProp, ...): the
 *    prefixed name is always NVIDIA's name with "vgpu_" / "VGPU_" in front,
 *    so this header and cuda.h can share one translation unit.
 *  - VGPU_CU(T) names "our type T". Normally it is vgpu_##T. A translation
 *    unit that includes cuda.h first and defines VGPU_CUDA_ABI_CHECK makes it
 *    NVIDIA's T instead: the function pointer types below are then spelt with
 *    NVIDIA's types, and __builtin_types_compatible_p can compare each one
 *    with cudaTypedefs.h's PFN_<base>_v<version>. Separately, the check
 *    asserts that every vgpu_ type has the size/offsets of NVIDIA's, so the
 *    vgpu_-typed signatures are the same ABI.
 *  - VGPU_CUDA_ENTRY_POINTS(X) is the ONE list of entry points:
 *      X(symbol, base, version, per_thread_suffix, (parameters))
 *    symbol: the exported name (cuMemAlloc_v2); base + version: what
 *    cuGetProcAddress is asked for and NVIDIA's PFN_<base>_v<version> name;
 *    per_thread_suffix: empty, _ptds or _ptsz (the per-thread default stream
 *    variant, returned for CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM).
 *    From it come vgpu_pfn_<symbol> typedefs, the simulator's prototypes
 *    (VGPU_CUDA_DECLARE_PROTOTYPES) and its cuGetProcAddress table.
 *  - Entry points at version 2000 whose parameters are 32-bit (cuMemAlloc,
 *    cuMemGetInfo, ...) are the pre-3.2 ABI that 64-bit drivers still export;
 *    the current ABI is the _v2 symbol.
 *
 * Every entry point returns VGPU_CU(CUresult).
 */
#ifndef VGPU_CUDA_ABI_H
#define VGPU_CUDA_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef VGPU_CUDA_ABI_CHECK
#define VGPU_CU(t) t
#else
#define VGPU_CU(t) vgpu_##t
#endif

/* The driver API version this header describes (cuDriverGetVersion). */
#define VGPU_CUDA_VERSION 13000

/* ---- results: X(NAME, value, description) --------------------------------
 * The enum, cuGetErrorName ("CUDA_" NAME) and cuGetErrorString (our own
 * wording) all come from this list. */
#define VGPU_CUDA_RESULTS(X)                                                              \
	X(SUCCESS, 0, "no error")                                                         \
	X(ERROR_INVALID_VALUE, 1, "invalid argument")                                     \
	X(ERROR_OUT_OF_MEMORY, 2, "out of memory")                                        \
	X(ERROR_NOT_INITIALIZED, 3, "initialization error")                               \
	X(ERROR_DEINITIALIZED, 4, "driver shutting down")                                 \
	X(ERROR_PROFILER_DISABLED, 5, "profiler disabled while using external profiling tool") \
	X(ERROR_PROFILER_NOT_INITIALIZED, 6, "profiler not initialized")                  \
	X(ERROR_PROFILER_ALREADY_STARTED, 7, "profiler already started")                  \
	X(ERROR_PROFILER_ALREADY_STOPPED, 8, "profiler already stopped")                  \
	X(ERROR_STUB_LIBRARY, 34, "CUDA driver is a stub library")                        \
	X(ERROR_CALL_REQUIRES_NEWER_DRIVER, 36, "operation requires a newer driver")      \
	X(ERROR_DEVICE_UNAVAILABLE, 46, "CUDA-capable device(s) busy or unavailable")     \
	X(ERROR_NO_DEVICE, 100, "no CUDA-capable device is detected")                     \
	X(ERROR_INVALID_DEVICE, 101, "invalid device ordinal")                            \
	X(ERROR_DEVICE_NOT_LICENSED, 102, "device doesn't have valid Grid license")       \
	X(ERROR_INVALID_IMAGE, 200, "device kernel image is invalid")                     \
	X(ERROR_INVALID_CONTEXT, 201, "invalid device context")                           \
	X(ERROR_CONTEXT_ALREADY_CURRENT, 202, "context already current")                  \
	X(ERROR_MAP_FAILED, 205, "mapping of buffer object failed")                       \
	X(ERROR_UNMAP_FAILED, 206, "unmapping of buffer object failed")                   \
	X(ERROR_ARRAY_IS_MAPPED, 207, "array is mapped")                                  \
	X(ERROR_ALREADY_MAPPED, 208, "resource already mapped")                           \
	X(ERROR_NO_BINARY_FOR_GPU, 209, "no kernel image is available for execution on the device") \
	X(ERROR_ALREADY_ACQUIRED, 210, "resource already acquired")                       \
	X(ERROR_NOT_MAPPED, 211, "resource not mapped")                                   \
	X(ERROR_NOT_MAPPED_AS_ARRAY, 212, "resource not mapped as array")                 \
	X(ERROR_NOT_MAPPED_AS_POINTER, 213, "resource not mapped as pointer")             \
	X(ERROR_ECC_UNCORRECTABLE, 214, "uncorrectable ECC error encountered")            \
	X(ERROR_UNSUPPORTED_LIMIT, 215, "limit is not supported on this architecture")    \
	X(ERROR_CONTEXT_ALREADY_IN_USE, 216, "exclusive-thread device already in use")    \
	X(ERROR_PEER_ACCESS_UNSUPPORTED, 217, "peer access is not supported")             \
	X(ERROR_INVALID_PTX, 218, "a PTX JIT compilation failed")                         \
	X(ERROR_INVALID_GRAPHICS_CONTEXT, 219, "invalid OpenGL or DirectX context")       \
	X(ERROR_NVLINK_UNCORRECTABLE, 220, "uncorrectable NVLink error detected")         \
	X(ERROR_JIT_COMPILER_NOT_FOUND, 221, "PTX JIT compiler library not found")        \
	X(ERROR_UNSUPPORTED_PTX_VERSION, 222, "unsupported PTX version")                  \
	X(ERROR_JIT_COMPILATION_DISABLED, 223, "PTX JIT compilation was disabled")        \
	X(ERROR_UNSUPPORTED_EXEC_AFFINITY, 224, "unsupported execution affinity")         \
	X(ERROR_UNSUPPORTED_DEVSIDE_SYNC, 225, "device-side synchronisation not supported") \
	X(ERROR_CONTAINED, 226, "contained error encountered")                            \
	X(ERROR_INVALID_SOURCE, 300, "device kernel image is invalid")                    \
	X(ERROR_FILE_NOT_FOUND, 301, "file not found")                                    \
	X(ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND, 302, "shared object symbol not found")    \
	X(ERROR_SHARED_OBJECT_INIT_FAILED, 303, "shared object initialization failed")    \
	X(ERROR_OPERATING_SYSTEM, 304, "OS call failed or operation not supported on this OS") \
	X(ERROR_INVALID_HANDLE, 400, "invalid resource handle")                           \
	X(ERROR_ILLEGAL_STATE, 401, "the operation cannot be performed in the present state") \
	X(ERROR_LOSSY_QUERY, 402, "attempted introspection would be semantically lossy")  \
	X(ERROR_NOT_FOUND, 500, "named symbol not found")                                 \
	X(ERROR_NOT_READY, 600, "device not ready")                                       \
	X(ERROR_ILLEGAL_ADDRESS, 700, "an illegal memory access was encountered")         \
	X(ERROR_LAUNCH_OUT_OF_RESOURCES, 701, "too many resources requested for launch")  \
	X(ERROR_LAUNCH_TIMEOUT, 702, "the launch timed out and was terminated")           \
	X(ERROR_LAUNCH_INCOMPATIBLE_TEXTURING, 703, "launch uses incompatible texturing mode") \
	X(ERROR_PEER_ACCESS_ALREADY_ENABLED, 704, "peer access is already enabled")       \
	X(ERROR_PEER_ACCESS_NOT_ENABLED, 705, "peer access has not been enabled")         \
	X(ERROR_PRIMARY_CONTEXT_ACTIVE, 708, "cannot set while device is active in this process") \
	X(ERROR_CONTEXT_IS_DESTROYED, 709, "context is destroyed")                        \
	X(ERROR_ASSERT, 710, "device-side assert triggered")                              \
	X(ERROR_TOO_MANY_PEERS, 711, "peer mapping resources exhausted")                  \
	X(ERROR_HOST_MEMORY_ALREADY_REGISTERED, 712, "part or all of the requested memory range is already mapped") \
	X(ERROR_HOST_MEMORY_NOT_REGISTERED, 713, "pointer does not correspond to a registered memory region") \
	X(ERROR_HARDWARE_STACK_ERROR, 714, "hardware stack error")                        \
	X(ERROR_ILLEGAL_INSTRUCTION, 715, "an illegal instruction was encountered")       \
	X(ERROR_MISALIGNED_ADDRESS, 716, "misaligned address")                            \
	X(ERROR_INVALID_ADDRESS_SPACE, 717, "operation not supported on global/shared address space") \
	X(ERROR_INVALID_PC, 718, "invalid program counter")                               \
	X(ERROR_LAUNCH_FAILED, 719, "unspecified launch failure")                         \
	X(ERROR_COOPERATIVE_LAUNCH_TOO_LARGE, 720, "too many blocks in cooperative launch") \
	X(ERROR_TENSOR_MEMORY_LEAK, 721, "tensor memory not completely freed")            \
	X(ERROR_NOT_PERMITTED, 800, "operation not permitted")                            \
	X(ERROR_NOT_SUPPORTED, 801, "operation not supported")                            \
	X(ERROR_SYSTEM_NOT_READY, 802, "system not yet initialized")                      \
	X(ERROR_SYSTEM_DRIVER_MISMATCH, 803, "system has unsupported display driver / cuda driver combination") \
	X(ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE, 804, "forward compatibility was attempted on non supported HW") \
	X(ERROR_MPS_CONNECTION_FAILED, 805, "MPS client failed to connect to the MPS control daemon or the MPS server") \
	X(ERROR_MPS_RPC_FAILURE, 806, "the remote procedural call between the MPS server and the MPS client failed") \
	X(ERROR_MPS_SERVER_NOT_READY, 807, "MPS server is not ready to accept new MPS client requests") \
	X(ERROR_MPS_MAX_CLIENTS_REACHED, 808, "the hardware resources required to create MPS client have been exhausted") \
	X(ERROR_MPS_MAX_CONNECTIONS_REACHED, 809, "the hardware resources required to support device connections have been exhausted") \
	X(ERROR_MPS_CLIENT_TERMINATED, 810, "the MPS client has been terminated by the server") \
	X(ERROR_CDP_NOT_SUPPORTED, 811, "module is using CUDA Dynamic Parallelism, which is not supported") \
	X(ERROR_CDP_VERSION_MISMATCH, 812, "CUDA Dynamic Parallelism version mismatch")   \
	X(ERROR_STREAM_CAPTURE_UNSUPPORTED, 900, "operation not permitted when stream is capturing") \
	X(ERROR_STREAM_CAPTURE_INVALIDATED, 901, "operation failed due to a previous error during capture") \
	X(ERROR_STREAM_CAPTURE_MERGE, 902, "operation would result in a merge of separate capture sequences") \
	X(ERROR_STREAM_CAPTURE_UNMATCHED, 903, "capture was not ended in the same stream as it began") \
	X(ERROR_STREAM_CAPTURE_UNJOINED, 904, "capturing stream has unjoined work")       \
	X(ERROR_STREAM_CAPTURE_ISOLATION, 905, "dependency created on uncaptured work in another stream") \
	X(ERROR_STREAM_CAPTURE_IMPLICIT, 906, "operation would make the legacy stream depend on a capturing blocking stream") \
	X(ERROR_CAPTURED_EVENT, 907, "operation not permitted on an event last recorded in a capturing stream") \
	X(ERROR_STREAM_CAPTURE_WRONG_THREAD, 908, "attempt to terminate a thread-local capture sequence from another thread") \
	X(ERROR_TIMEOUT, 909, "wait operation timed out")                                 \
	X(ERROR_GRAPH_EXEC_UPDATE_FAILURE, 910, "the graph update was not performed because it included changes which violated constraints specific to instantiated graph update") \
	X(ERROR_EXTERNAL_DEVICE, 911, "an async error has occurred in an external entity outside of CUDA") \
	X(ERROR_INVALID_CLUSTER_SIZE, 912, "a kernel launch error has occurred due to cluster misconfiguration") \
	X(ERROR_FUNCTION_NOT_LOADED, 913, "the function handle is not loaded when calling an API that requires a loaded function") \
	X(ERROR_INVALID_RESOURCE_TYPE, 914, "one or more resources passed in are not valid resource types for the operation") \
	X(ERROR_INVALID_RESOURCE_CONFIGURATION, 915, "one or more resources are insufficient or non-applicable for the operation") \
	X(ERROR_KEY_ROTATION, 916, "an error happened during the key rotation sequence")   \
	X(ERROR_UNKNOWN, 999, "unknown error")

#define VGPU_CUDA_RESULT_ENUM(name, value, text) VGPU_CUDA_##name = value,
typedef enum vgpu_cudaError_enum { VGPU_CUDA_RESULTS(VGPU_CUDA_RESULT_ENUM) } vgpu_CUresult;
#undef VGPU_CUDA_RESULT_ENUM

/* ---- scalar and handle types ------------------------------------------ */
typedef uint64_t vgpu_cuuint64_t;
typedef int vgpu_CUdevice_v1;
typedef vgpu_CUdevice_v1 vgpu_CUdevice;          /* a device ordinal */
typedef unsigned long long vgpu_CUdeviceptr_v2;
typedef vgpu_CUdeviceptr_v2 vgpu_CUdeviceptr;    /* 64-bit device address */
typedef unsigned int vgpu_CUdeviceptr_v1;        /* pre-3.2 32-bit address */
typedef unsigned long long vgpu_CUmemGenericAllocationHandle_v1;
typedef vgpu_CUmemGenericAllocationHandle_v1 vgpu_CUmemGenericAllocationHandle;

/* Opaque handles: pointers to structs nobody outside the driver defines. */
typedef struct vgpu_CUctx_st *vgpu_CUcontext;
typedef struct vgpu_CUstream_st *vgpu_CUstream;
typedef struct vgpu_CUfunc_st *vgpu_CUfunction;
typedef struct vgpu_CUarray_st *vgpu_CUarray;
typedef struct vgpu_CUgraphExec_st *vgpu_CUgraphExec;
typedef struct vgpu_CUmemPoolHandle_st *vgpu_CUmemoryPool;
typedef struct vgpu_CUgraph_st *vgpu_CUgraph;
typedef struct vgpu_CUgraphNode_st *vgpu_CUgraphNode;
typedef struct vgpu_CUkern_st *vgpu_CUkernel;
typedef struct vgpu_CUmipmappedArray_st *vgpu_CUmipmappedArray;
typedef struct vgpu_CUmod_st *vgpu_CUmodule;
typedef struct vgpu_CUlib_st *vgpu_CUlibrary;

/* Special stream handles (cuda.h's CU_STREAM_LEGACY / CU_STREAM_PER_THREAD). */
#define VGPU_CU_STREAM_LEGACY ((vgpu_CUstream)0x1)
#define VGPU_CU_STREAM_PER_THREAD ((vgpu_CUstream)0x2)

typedef struct vgpu_CUuuid_st {
	char bytes[16];
} vgpu_CUuuid;

/* ---- enums (only the values slurm-vgpu uses) --------------------------- */
/* X(NAME, value): the device attributes the simulator answers with a
 * modelled value (CU_DEVICE_ATTRIBUTE_<NAME> in cuda.h). */
#define VGPU_CUDA_DEVICE_ATTRIBUTES(X) \
	X(MAX_THREADS_PER_BLOCK, 1) \
	X(MAX_BLOCK_DIM_X, 2) \
	X(MAX_BLOCK_DIM_Y, 3) \
	X(MAX_BLOCK_DIM_Z, 4) \
	X(MAX_GRID_DIM_X, 5) \
	X(MAX_GRID_DIM_Y, 6) \
	X(MAX_GRID_DIM_Z, 7) \
	X(MAX_SHARED_MEMORY_PER_BLOCK, 8) \
	X(TOTAL_CONSTANT_MEMORY, 9) \
	X(WARP_SIZE, 10) \
	X(MAX_PITCH, 11) \
	X(MAX_REGISTERS_PER_BLOCK, 12) \
	X(CLOCK_RATE, 13) \
	X(TEXTURE_ALIGNMENT, 14) \
	X(GPU_OVERLAP, 15) \
	X(MULTIPROCESSOR_COUNT, 16) \
	X(KERNEL_EXEC_TIMEOUT, 17) \
	X(INTEGRATED, 18) \
	X(CAN_MAP_HOST_MEMORY, 19) \
	X(COMPUTE_MODE, 20) \
	X(CONCURRENT_KERNELS, 31) \
	X(ECC_ENABLED, 32) \
	X(PCI_BUS_ID, 33) \
	X(PCI_DEVICE_ID, 34) \
	X(TCC_DRIVER, 35) \
	X(MEMORY_CLOCK_RATE, 36) \
	X(GLOBAL_MEMORY_BUS_WIDTH, 37) \
	X(L2_CACHE_SIZE, 38) \
	X(MAX_THREADS_PER_MULTIPROCESSOR, 39) \
	X(ASYNC_ENGINE_COUNT, 40) \
	X(UNIFIED_ADDRESSING, 41) \
	X(PCI_DOMAIN_ID, 50) \
	X(TEXTURE_PITCH_ALIGNMENT, 51) \
	X(COMPUTE_CAPABILITY_MAJOR, 75) \
	X(COMPUTE_CAPABILITY_MINOR, 76) \
	X(STREAM_PRIORITIES_SUPPORTED, 78) \
	X(MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, 81) \
	X(MAX_REGISTERS_PER_MULTIPROCESSOR, 82) \
	X(MANAGED_MEMORY, 83) \
	X(MULTI_GPU_BOARD, 84) \
	X(CONCURRENT_MANAGED_ACCESS, 89) \
	X(COOPERATIVE_LAUNCH, 95) \
	X(MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, 97) \
	X(HOST_REGISTER_SUPPORTED, 99) \
	X(VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED, 102) \
	X(HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED, 103) \
	X(MAX_BLOCKS_PER_MULTIPROCESSOR, 106) \
	X(MEMORY_POOLS_SUPPORTED, 115) \
	X(HANDLE_TYPE_FABRIC_SUPPORTED, 128) \
	X(MPS_ENABLED, 133) \
	X(GPU_PCI_DEVICE_ID, 139) \
	X(GPU_PCI_SUBSYSTEM_ID, 140)

#define VGPU_CUDA_ATTRIBUTE_ENUM(name, value) VGPU_CU_DEVICE_ATTRIBUTE_##name = value,
typedef enum vgpu_CUdevice_attribute_enum {
	VGPU_CUDA_DEVICE_ATTRIBUTES(VGPU_CUDA_ATTRIBUTE_ENUM)
	/* One past the last attribute CUDA 13.0 defines: values from here on
	 * are CUDA_ERROR_INVALID_VALUE. */
	VGPU_CU_DEVICE_ATTRIBUTE_MAX = 148
} vgpu_CUdevice_attribute;
#undef VGPU_CUDA_ATTRIBUTE_ENUM

typedef enum vgpu_CUmemLocationType_enum {
	VGPU_CU_MEM_LOCATION_TYPE_INVALID = 0x0,
	VGPU_CU_MEM_LOCATION_TYPE_DEVICE = 0x1,
	VGPU_CU_MEM_LOCATION_TYPE_HOST = 0x2,
	VGPU_CU_MEM_LOCATION_TYPE_HOST_NUMA = 0x3,
	VGPU_CU_MEM_LOCATION_TYPE_HOST_NUMA_CURRENT = 0x4
} vgpu_CUmemLocationType;

typedef enum vgpu_CUmemAllocationType_enum {
	VGPU_CU_MEM_ALLOCATION_TYPE_INVALID = 0x0,
	VGPU_CU_MEM_ALLOCATION_TYPE_PINNED = 0x1
} vgpu_CUmemAllocationType;

typedef enum vgpu_CUmemAllocationHandleType_enum {
	VGPU_CU_MEM_HANDLE_TYPE_NONE = 0x0,
	VGPU_CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR = 0x1,
	VGPU_CU_MEM_HANDLE_TYPE_WIN32 = 0x2,
	VGPU_CU_MEM_HANDLE_TYPE_WIN32_KMT = 0x4,
	VGPU_CU_MEM_HANDLE_TYPE_FABRIC = 0x8
} vgpu_CUmemAllocationHandleType;

typedef enum vgpu_CUmemAccess_flags_enum {
	VGPU_CU_MEM_ACCESS_FLAGS_PROT_NONE = 0x0,
	VGPU_CU_MEM_ACCESS_FLAGS_PROT_READ = 0x1,
	VGPU_CU_MEM_ACCESS_FLAGS_PROT_READWRITE = 0x3
} vgpu_CUmemAccess_flags;

typedef enum vgpu_CUmemAllocationGranularity_flags_enum {
	VGPU_CU_MEM_ALLOC_GRANULARITY_MINIMUM = 0x0,
	VGPU_CU_MEM_ALLOC_GRANULARITY_RECOMMENDED = 0x1
} vgpu_CUmemAllocationGranularity_flags;

typedef enum vgpu_CUarray_format_enum {
	VGPU_CU_AD_FORMAT_UNSIGNED_INT8 = 0x01,
	VGPU_CU_AD_FORMAT_UNSIGNED_INT16 = 0x02,
	VGPU_CU_AD_FORMAT_UNSIGNED_INT32 = 0x03,
	VGPU_CU_AD_FORMAT_SIGNED_INT8 = 0x08,
	VGPU_CU_AD_FORMAT_SIGNED_INT16 = 0x09,
	VGPU_CU_AD_FORMAT_SIGNED_INT32 = 0x0a,
	VGPU_CU_AD_FORMAT_HALF = 0x10,
	VGPU_CU_AD_FORMAT_FLOAT = 0x20
} vgpu_CUarray_format;

/* cuGetProcAddress flags and its symbolStatus. */
typedef enum vgpu_CUdriverProcAddress_flags_enum {
	VGPU_CU_GET_PROC_ADDRESS_DEFAULT = 0,
	VGPU_CU_GET_PROC_ADDRESS_LEGACY_STREAM = 1 << 0,
	VGPU_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM = 1 << 1
} vgpu_CUdriverProcAddress_flags;

typedef enum vgpu_CUdriverProcAddressQueryResult_enum {
	VGPU_CU_GET_PROC_ADDRESS_SUCCESS = 0,
	VGPU_CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND = 1,
	VGPU_CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT = 2
} vgpu_CUdriverProcAddressQueryResult;

typedef enum vgpu_CUexecAffinityType_enum {
	VGPU_CU_EXEC_AFFINITY_TYPE_SM_COUNT = 0
} vgpu_CUexecAffinityType;

/* Flag values (#defines in cuda.h). */
#define VGPU_CU_MEMHOSTALLOC_PORTABLE 0x01
#define VGPU_CU_MEMHOSTALLOC_DEVICEMAP 0x02
#define VGPU_CU_MEMHOSTALLOC_WRITECOMBINED 0x04
#define VGPU_CU_MEMHOSTREGISTER_PORTABLE 0x01
#define VGPU_CU_MEMHOSTREGISTER_DEVICEMAP 0x02
#define VGPU_CU_MEMHOSTREGISTER_IOMEMORY 0x04
#define VGPU_CU_MEMHOSTREGISTER_READ_ONLY 0x08
#define VGPU_CU_MEM_ATTACH_GLOBAL 0x1
#define VGPU_CU_MEM_ATTACH_HOST 0x2
#define VGPU_CU_STREAM_DEFAULT 0x0
#define VGPU_CU_STREAM_NON_BLOCKING 0x1

/* ---- structs ------------------------------------------------------------ */
typedef struct vgpu_CUmemLocation_st {
	vgpu_CUmemLocationType type;
	int id; /* device ordinal for VGPU_CU_MEM_LOCATION_TYPE_DEVICE */
} vgpu_CUmemLocation;

typedef struct vgpu_CUmemAllocationProp_st {
	vgpu_CUmemAllocationType type;
	vgpu_CUmemAllocationHandleType requestedHandleTypes;
	vgpu_CUmemLocation location;
	void *win32HandleMetaData;
	struct {
		unsigned char compressionType;
		unsigned char gpuDirectRDMACapable;
		unsigned short usage;
		unsigned char reserved[4];
	} allocFlags;
} vgpu_CUmemAllocationProp;

typedef struct vgpu_CUmemAccessDesc_st {
	vgpu_CUmemLocation location;
	vgpu_CUmemAccess_flags flags;
} vgpu_CUmemAccessDesc;

typedef struct vgpu_CUmemPoolProps_st {
	vgpu_CUmemAllocationType allocType;
	vgpu_CUmemAllocationHandleType handleTypes;
	vgpu_CUmemLocation location;
	void *win32SecurityAttributes;
	size_t maxSize;
	unsigned short usage;
	unsigned char reserved[54];
} vgpu_CUmemPoolProps;

typedef struct vgpu_CUexecAffinityParam_st {
	vgpu_CUexecAffinityType type;
	union {
		struct {
			unsigned int val;
		} smCount;
	} param;
} vgpu_CUexecAffinityParam;

/* cuCtxCreate_v4's parameters; cigParams points to a struct we never read. */
typedef struct vgpu_CUctxCreateParams_st {
	vgpu_CUexecAffinityParam *execAffinityParams;
	int numExecAffinityParams;
	void *cigParams;
} vgpu_CUctxCreateParams;

typedef struct vgpu_CUDA_ARRAY_DESCRIPTOR_st {
	size_t Width;
	size_t Height;
	vgpu_CUarray_format Format;
	unsigned int NumChannels;
} vgpu_CUDA_ARRAY_DESCRIPTOR;

typedef struct vgpu_CUDA_ARRAY_DESCRIPTOR_v1_st { /* cuArrayCreate (v1) */
	unsigned int Width;
	unsigned int Height;
	vgpu_CUarray_format Format;
	unsigned int NumChannels;
} vgpu_CUDA_ARRAY_DESCRIPTOR_v1;

typedef struct vgpu_CUDA_ARRAY3D_DESCRIPTOR_st { /* cuArray3DCreate_v2, cuMipmappedArrayCreate */
	size_t Width;
	size_t Height;
	size_t Depth;
	vgpu_CUarray_format Format;
	unsigned int NumChannels;
	unsigned int Flags; /* VGPU_CUDA_ARRAY3D_* */
} vgpu_CUDA_ARRAY3D_DESCRIPTOR;

typedef struct vgpu_CUDA_ARRAY3D_DESCRIPTOR_v1_st { /* cuArray3DCreate (v1) */
	unsigned int Width;
	unsigned int Height;
	unsigned int Depth;
	vgpu_CUarray_format Format;
	unsigned int NumChannels;
	unsigned int Flags;
} vgpu_CUDA_ARRAY3D_DESCRIPTOR_v1;

#define VGPU_CUDA_ARRAY3D_LAYERED 0x01
#define VGPU_CUDA_ARRAY3D_CUBEMAP 0x04
#define VGPU_CUDA_ARRAY3D_SPARSE 0x40
#define VGPU_CUDA_ARRAY3D_DEFERRED_MAPPING 0x80

/* cuCtxSetLimit / cuCtxGetLimit (the first three take device memory). */
typedef enum vgpu_CUlimit_enum {
	VGPU_CU_LIMIT_STACK_SIZE = 0x00, /* bytes per thread, for every resident thread */
	VGPU_CU_LIMIT_PRINTF_FIFO_SIZE = 0x01,
	VGPU_CU_LIMIT_MALLOC_HEAP_SIZE = 0x02,
	VGPU_CU_LIMIT_DEV_RUNTIME_SYNC_DEPTH = 0x03,
	VGPU_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT = 0x04,
	VGPU_CU_LIMIT_MAX_L2_FETCH_GRANULARITY = 0x05,
	VGPU_CU_LIMIT_PERSISTING_L2_CACHE_SIZE = 0x06,
	VGPU_CU_LIMIT_SHMEM_SIZE = 0x07,
	VGPU_CU_LIMIT_CIG_ENABLED = 0x08,
	VGPU_CU_LIMIT_CIG_SHMEM_FALLBACK_ENABLED = 0x09,
	VGPU_CU_LIMIT_MAX = 0x0a
} vgpu_CUlimit;

/* cuMemPoolGetAttribute / cuMemPoolSetAttribute. */
typedef enum vgpu_CUmemPool_attribute_enum {
	VGPU_CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES = 1, /* int */
	VGPU_CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC = 2,        /* int */
	VGPU_CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES = 3, /* int */
	VGPU_CU_MEMPOOL_ATTR_RELEASE_THRESHOLD = 4,                /* cuuint64_t from here on */
	VGPU_CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT = 5,
	VGPU_CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH = 6,
	VGPU_CU_MEMPOOL_ATTR_USED_MEM_CURRENT = 7,
	VGPU_CU_MEMPOOL_ATTR_USED_MEM_HIGH = 8
} vgpu_CUmemPool_attribute;

/* cuLaunchKernelEx's configuration (attrs: CUlaunchAttribute, never read). */
typedef struct vgpu_CUlaunchConfig_st {
	unsigned int gridDimX;
	unsigned int gridDimY;
	unsigned int gridDimZ;
	unsigned int blockDimX;
	unsigned int blockDimY;
	unsigned int blockDimZ;
	unsigned int sharedMemBytes;
	vgpu_CUstream hStream;
	void *attrs;
	unsigned int numAttrs;
} vgpu_CUlaunchConfig;

/* ---- graphs ------------------------------------------------------------ */
typedef struct vgpu_CUDA_KERNEL_NODE_PARAMS_st { /* cuGraphAddKernelNode (v1) */
	vgpu_CUfunction func;
	unsigned int gridDimX;
	unsigned int gridDimY;
	unsigned int gridDimZ;
	unsigned int blockDimX;
	unsigned int blockDimY;
	unsigned int blockDimZ;
	unsigned int sharedMemBytes;
	void **kernelParams;
	void **extra;
} vgpu_CUDA_KERNEL_NODE_PARAMS_v1;

typedef struct vgpu_CUDA_KERNEL_NODE_PARAMS_v2_st { /* cuGraphAddKernelNode_v2 */
	vgpu_CUfunction func;
	unsigned int gridDimX;
	unsigned int gridDimY;
	unsigned int gridDimZ;
	unsigned int blockDimX;
	unsigned int blockDimY;
	unsigned int blockDimZ;
	unsigned int sharedMemBytes;
	void **kernelParams;
	void **extra;
	vgpu_CUkernel kern; /* used when func is NULL */
	vgpu_CUcontext ctx; /* with kern: NULL = the current context */
} vgpu_CUDA_KERNEL_NODE_PARAMS_v2;

typedef struct vgpu_CUDA_MEM_ALLOC_NODE_PARAMS_v1_st { /* cuGraphAddMemAllocNode */
	vgpu_CUmemPoolProps poolProps;         /* in: location; handleTypes must be NONE */
	const vgpu_CUmemAccessDesc *accessDescs; /* in: peer access */
	size_t accessDescCount;
	size_t bytesize;                       /* in */
	vgpu_CUdeviceptr dptr;                 /* out: the address, fixed when the node is made */
} vgpu_CUDA_MEM_ALLOC_NODE_PARAMS_v1;
typedef vgpu_CUDA_MEM_ALLOC_NODE_PARAMS_v1 vgpu_CUDA_MEM_ALLOC_NODE_PARAMS;

typedef enum vgpu_CUgraphMem_attribute_enum { /* cuDeviceGetGraphMemAttribute (cuuint64_t) */
	VGPU_CU_GRAPH_MEM_ATTR_USED_MEM_CURRENT = 0,
	VGPU_CU_GRAPH_MEM_ATTR_USED_MEM_HIGH = 1,
	VGPU_CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT = 2,
	VGPU_CU_GRAPH_MEM_ATTR_RESERVED_MEM_HIGH = 3
} vgpu_CUgraphMem_attribute;

typedef enum vgpu_CUgraphInstantiateResult_enum { /* CUDA_GRAPH_INSTANTIATE_PARAMS.result_out */
	VGPU_CUDA_GRAPH_INSTANTIATE_SUCCESS = 0,
	VGPU_CUDA_GRAPH_INSTANTIATE_ERROR = 1
} vgpu_CUgraphInstantiateResult;

typedef struct vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS_st { /* cuGraphInstantiateWithParams */
	vgpu_cuuint64_t flags;               /* VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_* */
	vgpu_CUstream hUploadStream;         /* with FLAG_UPLOAD */
	vgpu_CUgraphNode hErrNode_out;
	vgpu_CUgraphInstantiateResult result_out;
} vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS;

/* cuGraphInstantiateWithFlags / WithParams flags. */
#define VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH 1
#define VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD 2
#define VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_DEVICE_LAUNCH 4
#define VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_USE_NODE_PRIORITY 8

/* ---- modules and libraries ---------------------------------------------- */
/* JIT options of cuModuleLoadDataEx / cuLibraryLoadData (only the count is
 * used: options are accepted and ignored). */
typedef enum vgpu_CUjit_option_enum {
	VGPU_CU_JIT_MAX_REGISTERS = 0,
	VGPU_CU_JIT_NUM_OPTIONS = 35
} vgpu_CUjit_option;

typedef enum vgpu_CUlibraryOption_enum {
	VGPU_CU_LIBRARY_HOST_UNIVERSAL_FUNCTION_AND_DATA_TABLE = 0,
	VGPU_CU_LIBRARY_BINARY_IS_PRESERVED = 1,
	VGPU_CU_LIBRARY_NUM_OPTIONS = 2
} vgpu_CUlibraryOption;

/* cuFuncGetAttribute (the values the simulator answers; the rest up to MAX
 * are answered 0). */
typedef enum vgpu_CUfunction_attribute_enum {
	VGPU_CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
	VGPU_CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
	VGPU_CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES = 2,
	VGPU_CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,
	VGPU_CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
	VGPU_CU_FUNC_ATTRIBUTE_PTX_VERSION = 5,
	VGPU_CU_FUNC_ATTRIBUTE_BINARY_VERSION = 6,
	VGPU_CU_FUNC_ATTRIBUTE_MAX = 16
} vgpu_CUfunction_attribute;

/* ---- entry points --------------------------------------------------------
 * X(symbol, base, version, per_thread_suffix, (parameters)); see the top. */
#define VGPU_CUDA_ENTRY_POINTS(X)                                                                    \
	/* initialisation, version, errors, entry point access */                                    \
	X(cuInit, cuInit, 2000, , (unsigned int Flags))                                              \
	X(cuDriverGetVersion, cuDriverGetVersion, 2020, , (int *driverVersion))                      \
	X(cuGetErrorString, cuGetErrorString, 6000, , (VGPU_CU(CUresult) error, const char **pStr))  \
	X(cuGetErrorName, cuGetErrorName, 6000, , (VGPU_CU(CUresult) error, const char **pStr))      \
	X(cuGetProcAddress, cuGetProcAddress, 11030, ,                                               \
	  (const char *symbol, void **pfn, int cudaVersion, VGPU_CU(cuuint64_t) flags))              \
	X(cuGetProcAddress_v2, cuGetProcAddress, 12000, ,                                            \
	  (const char *symbol, void **pfn, int cudaVersion, VGPU_CU(cuuint64_t) flags,               \
	   VGPU_CU(CUdriverProcAddressQueryResult) *symbolStatus))                                   \
	X(cuGetExportTable, cuGetExportTable, 3000, ,                                                \
	  (const void **ppExportTable, const VGPU_CU(CUuuid) *pExportTableId))                       \
	/* devices */                                                                                \
	X(cuDeviceGet, cuDeviceGet, 2000, , (VGPU_CU(CUdevice) *device, int ordinal))                \
	X(cuDeviceGetCount, cuDeviceGetCount, 2000, , (int *count))                                  \
	X(cuDeviceGetName, cuDeviceGetName, 2000, , (char *name, int len, VGPU_CU(CUdevice) dev))    \
	X(cuDeviceTotalMem, cuDeviceTotalMem, 2000, , (unsigned int *bytes, VGPU_CU(CUdevice) dev))  \
	X(cuDeviceTotalMem_v2, cuDeviceTotalMem, 3020, , (size_t *bytes, VGPU_CU(CUdevice) dev))     \
	X(cuDeviceGetAttribute, cuDeviceGetAttribute, 2000, ,                                        \
	  (int *pi, VGPU_CU(CUdevice_attribute) attrib, VGPU_CU(CUdevice) dev))                      \
	X(cuDeviceGetUuid, cuDeviceGetUuid, 9020, , (VGPU_CU(CUuuid) *uuid, VGPU_CU(CUdevice) dev))  \
	X(cuDeviceGetUuid_v2, cuDeviceGetUuid, 11040, , (VGPU_CU(CUuuid) *uuid, VGPU_CU(CUdevice) dev)) \
	X(cuDeviceGetPCIBusId, cuDeviceGetPCIBusId, 4010, ,                                          \
	  (char *pciBusId, int len, VGPU_CU(CUdevice) dev))                                          \
	X(cuDeviceGetByPCIBusId, cuDeviceGetByPCIBusId, 4010, ,                                      \
	  (VGPU_CU(CUdevice) *dev, const char *pciBusId))                                            \
	X(cuDeviceComputeCapability, cuDeviceComputeCapability, 2000, ,                              \
	  (int *major, int *minor, VGPU_CU(CUdevice) dev))                                           \
	X(cuDeviceCanAccessPeer, cuDeviceCanAccessPeer, 4000, ,                                      \
	  (int *canAccessPeer, VGPU_CU(CUdevice) dev, VGPU_CU(CUdevice) peerDev))                    \
	X(cuDeviceGetDefaultMemPool, cuDeviceGetDefaultMemPool, 11020, ,                             \
	  (VGPU_CU(CUmemoryPool) *pool_out, VGPU_CU(CUdevice) dev))                                  \
	/* contexts */                                                                               \
	X(cuCtxCreate, cuCtxCreate, 2000, ,                                                          \
	  (VGPU_CU(CUcontext) *pctx, unsigned int flags, VGPU_CU(CUdevice) dev))                     \
	X(cuCtxCreate_v2, cuCtxCreate, 3020, ,                                                       \
	  (VGPU_CU(CUcontext) *pctx, unsigned int flags, VGPU_CU(CUdevice) dev))                     \
	X(cuCtxCreate_v3, cuCtxCreate, 11040, ,                                                      \
	  (VGPU_CU(CUcontext) *pctx, VGPU_CU(CUexecAffinityParam) *paramsArray, int numParams,       \
	   unsigned int flags, VGPU_CU(CUdevice) dev))                                               \
	X(cuCtxCreate_v4, cuCtxCreate, 12050, ,                                                      \
	  (VGPU_CU(CUcontext) *pctx, VGPU_CU(CUctxCreateParams) *ctxCreateParams, unsigned int flags, \
	   VGPU_CU(CUdevice) dev))                                                                   \
	X(cuCtxDestroy, cuCtxDestroy, 2000, , (VGPU_CU(CUcontext) ctx))                              \
	X(cuCtxDestroy_v2, cuCtxDestroy, 4000, , (VGPU_CU(CUcontext) ctx))                           \
	X(cuCtxPushCurrent, cuCtxPushCurrent, 2000, , (VGPU_CU(CUcontext) ctx))                      \
	X(cuCtxPushCurrent_v2, cuCtxPushCurrent, 4000, , (VGPU_CU(CUcontext) ctx))                   \
	X(cuCtxPopCurrent, cuCtxPopCurrent, 2000, , (VGPU_CU(CUcontext) *pctx))                      \
	X(cuCtxPopCurrent_v2, cuCtxPopCurrent, 4000, , (VGPU_CU(CUcontext) *pctx))                   \
	X(cuCtxSetCurrent, cuCtxSetCurrent, 4000, , (VGPU_CU(CUcontext) ctx))                        \
	X(cuCtxGetCurrent, cuCtxGetCurrent, 4000, , (VGPU_CU(CUcontext) *pctx))                      \
	X(cuCtxGetDevice, cuCtxGetDevice, 2000, , (VGPU_CU(CUdevice) *device))                       \
	X(cuCtxGetDevice_v2, cuCtxGetDevice, 13000, ,                                                \
	  (VGPU_CU(CUdevice) *device, VGPU_CU(CUcontext) ctx))                                       \
	X(cuCtxSynchronize, cuCtxSynchronize, 2000, , (void))                                        \
	X(cuCtxSynchronize_v2, cuCtxSynchronize, 13000, , (VGPU_CU(CUcontext) ctx))                  \
	X(cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRetain, 7000, ,                                \
	  (VGPU_CU(CUcontext) *pctx, VGPU_CU(CUdevice) dev))                                         \
	X(cuDevicePrimaryCtxRelease, cuDevicePrimaryCtxRelease, 7000, , (VGPU_CU(CUdevice) dev))     \
	X(cuDevicePrimaryCtxRelease_v2, cuDevicePrimaryCtxRelease, 11000, , (VGPU_CU(CUdevice) dev)) \
	X(cuDevicePrimaryCtxReset, cuDevicePrimaryCtxReset, 7000, , (VGPU_CU(CUdevice) dev))         \
	X(cuDevicePrimaryCtxReset_v2, cuDevicePrimaryCtxReset, 11000, , (VGPU_CU(CUdevice) dev))     \
	X(cuDevicePrimaryCtxGetState, cuDevicePrimaryCtxGetState, 7000, ,                            \
	  (VGPU_CU(CUdevice) dev, unsigned int *flags, int *active))                                 \
	X(cuDevicePrimaryCtxSetFlags, cuDevicePrimaryCtxSetFlags, 7000, ,                            \
	  (VGPU_CU(CUdevice) dev, unsigned int flags))                                               \
	X(cuDevicePrimaryCtxSetFlags_v2, cuDevicePrimaryCtxSetFlags, 11000, ,                        \
	  (VGPU_CU(CUdevice) dev, unsigned int flags))                                               \
	/* device memory */                                                                          \
	X(cuMemGetInfo, cuMemGetInfo, 2000, , (unsigned int *free, unsigned int *total))             \
	X(cuMemGetInfo_v2, cuMemGetInfo, 3020, , (size_t *free, size_t *total))                      \
	X(cuMemAlloc, cuMemAlloc, 2000, , (VGPU_CU(CUdeviceptr_v1) *dptr, unsigned int bytesize))    \
	X(cuMemAlloc_v2, cuMemAlloc, 3020, , (VGPU_CU(CUdeviceptr) *dptr, size_t bytesize))          \
	X(cuMemFree, cuMemFree, 2000, , (VGPU_CU(CUdeviceptr_v1) dptr))                              \
	X(cuMemFree_v2, cuMemFree, 3020, , (VGPU_CU(CUdeviceptr) dptr))                              \
	X(cuMemAllocPitch, cuMemAllocPitch, 2000, ,                                                  \
	  (VGPU_CU(CUdeviceptr_v1) *dptr, unsigned int *pPitch, unsigned int WidthInBytes,           \
	   unsigned int Height, unsigned int ElementSizeBytes))                                      \
	X(cuMemAllocPitch_v2, cuMemAllocPitch, 3020, ,                                               \
	  (VGPU_CU(CUdeviceptr) *dptr, size_t *pPitch, size_t WidthInBytes, size_t Height,           \
	   unsigned int ElementSizeBytes))                                                           \
	X(cuMemGetAddressRange_v2, cuMemGetAddressRange, 3020, ,                                     \
	  (VGPU_CU(CUdeviceptr) *pbase, size_t *psize, VGPU_CU(CUdeviceptr) dptr))                   \
	X(cuMemAllocManaged, cuMemAllocManaged, 6000, ,                                              \
	  (VGPU_CU(CUdeviceptr) *dptr, size_t bytesize, unsigned int flags))                         \
	X(cuArrayCreate_v2, cuArrayCreate, 3020, ,                                                   \
	  (VGPU_CU(CUarray) *pHandle, const VGPU_CU(CUDA_ARRAY_DESCRIPTOR) *pAllocateArray))         \
	X(cuArrayDestroy, cuArrayDestroy, 2000, , (VGPU_CU(CUarray) hArray))                         \
	/* host memory (never device memory) */                                                      \
	X(cuMemAllocHost, cuMemAllocHost, 2000, , (void **pp, unsigned int bytesize))                \
	X(cuMemAllocHost_v2, cuMemAllocHost, 3020, , (void **pp, size_t bytesize))                   \
	X(cuMemFreeHost, cuMemFreeHost, 2000, , (void *p))                                           \
	X(cuMemHostAlloc, cuMemHostAlloc, 2020, , (void **pp, size_t bytesize, unsigned int Flags))  \
	X(cuMemHostRegister, cuMemHostRegister, 4000, ,                                              \
	  (void *p, size_t bytesize, unsigned int Flags))                                            \
	X(cuMemHostRegister_v2, cuMemHostRegister, 6050, ,                                           \
	  (void *p, size_t bytesize, unsigned int Flags))                                            \
	X(cuMemHostUnregister, cuMemHostUnregister, 4000, , (void *p))                               \
	/* copies and sets */                                                                        \
	X(cuMemcpyHtoD, cuMemcpyHtoD, 2000, ,                                                        \
	  (VGPU_CU(CUdeviceptr_v1) dstDevice, const void *srcHost, unsigned int ByteCount))          \
	X(cuMemcpyHtoD_v2, cuMemcpyHtoD, 3020, ,                                                     \
	  (VGPU_CU(CUdeviceptr) dstDevice, const void *srcHost, size_t ByteCount))                   \
	X(cuMemcpyHtoD_v2_ptds, cuMemcpyHtoD, 7000, _ptds,                                           \
	  (VGPU_CU(CUdeviceptr) dstDevice, const void *srcHost, size_t ByteCount))                   \
	X(cuMemcpyDtoH, cuMemcpyDtoH, 2000, ,                                                        \
	  (void *dstHost, VGPU_CU(CUdeviceptr_v1) srcDevice, unsigned int ByteCount))                \
	X(cuMemcpyDtoH_v2, cuMemcpyDtoH, 3020, ,                                                     \
	  (void *dstHost, VGPU_CU(CUdeviceptr) srcDevice, size_t ByteCount))                         \
	X(cuMemcpyDtoH_v2_ptds, cuMemcpyDtoH, 7000, _ptds,                                           \
	  (void *dstHost, VGPU_CU(CUdeviceptr) srcDevice, size_t ByteCount))                         \
	X(cuMemcpyDtoD_v2, cuMemcpyDtoD, 3020, ,                                                     \
	  (VGPU_CU(CUdeviceptr) dstDevice, VGPU_CU(CUdeviceptr) srcDevice, size_t ByteCount))        \
	X(cuMemcpyDtoD_v2_ptds, cuMemcpyDtoD, 7000, _ptds,                                           \
	  (VGPU_CU(CUdeviceptr) dstDevice, VGPU_CU(CUdeviceptr) srcDevice, size_t ByteCount))        \
	X(cuMemsetD8_v2, cuMemsetD8, 3020, ,                                                         \
	  (VGPU_CU(CUdeviceptr) dstDevice, unsigned char uc, size_t N))                              \
	X(cuMemsetD8_v2_ptds, cuMemsetD8, 7000, _ptds,                                               \
	  (VGPU_CU(CUdeviceptr) dstDevice, unsigned char uc, size_t N))                              \
	/* stream-ordered allocator */                                                               \
	X(cuMemAllocAsync, cuMemAllocAsync, 11020, ,                                                 \
	  (VGPU_CU(CUdeviceptr) *dptr, size_t bytesize, VGPU_CU(CUstream) hStream))                  \
	X(cuMemAllocAsync_ptsz, cuMemAllocAsync, 11020, _ptsz,                                       \
	  (VGPU_CU(CUdeviceptr) *dptr, size_t bytesize, VGPU_CU(CUstream) hStream))                  \
	X(cuMemFreeAsync, cuMemFreeAsync, 11020, , (VGPU_CU(CUdeviceptr) dptr, VGPU_CU(CUstream) hStream)) \
	X(cuMemFreeAsync_ptsz, cuMemFreeAsync, 11020, _ptsz,                                         \
	  (VGPU_CU(CUdeviceptr) dptr, VGPU_CU(CUstream) hStream))                                    \
	X(cuMemAllocFromPoolAsync, cuMemAllocFromPoolAsync, 11020, ,                                 \
	  (VGPU_CU(CUdeviceptr) *dptr, size_t bytesize, VGPU_CU(CUmemoryPool) pool,                  \
	   VGPU_CU(CUstream) hStream))                                                               \
	X(cuMemAllocFromPoolAsync_ptsz, cuMemAllocFromPoolAsync, 11020, _ptsz,                       \
	  (VGPU_CU(CUdeviceptr) *dptr, size_t bytesize, VGPU_CU(CUmemoryPool) pool,                  \
	   VGPU_CU(CUstream) hStream))                                                               \
	X(cuMemPoolCreate, cuMemPoolCreate, 11020, ,                                                 \
	  (VGPU_CU(CUmemoryPool) *pool, const VGPU_CU(CUmemPoolProps) *poolProps))                   \
	X(cuMemPoolDestroy, cuMemPoolDestroy, 11020, , (VGPU_CU(CUmemoryPool) pool))                 \
	X(cuMemPoolTrimTo, cuMemPoolTrimTo, 11020, , (VGPU_CU(CUmemoryPool) pool, size_t minBytesToKeep)) \
	/* virtual memory management */                                                              \
	X(cuMemCreate, cuMemCreate, 10020, ,                                                         \
	  (VGPU_CU(CUmemGenericAllocationHandle) *handle, size_t size,                               \
	   const VGPU_CU(CUmemAllocationProp) *prop, unsigned long long flags))                      \
	X(cuMemRelease, cuMemRelease, 10020, , (VGPU_CU(CUmemGenericAllocationHandle) handle))       \
	X(cuMemAddressReserve, cuMemAddressReserve, 10020, ,                                         \
	  (VGPU_CU(CUdeviceptr) *ptr, size_t size, size_t alignment, VGPU_CU(CUdeviceptr) addr,      \
	   unsigned long long flags))                                                                \
	X(cuMemAddressFree, cuMemAddressFree, 10020, , (VGPU_CU(CUdeviceptr) ptr, size_t size))      \
	X(cuMemMap, cuMemMap, 10020, ,                                                               \
	  (VGPU_CU(CUdeviceptr) ptr, size_t size, size_t offset,                                     \
	   VGPU_CU(CUmemGenericAllocationHandle) handle, unsigned long long flags))                  \
	X(cuMemUnmap, cuMemUnmap, 10020, , (VGPU_CU(CUdeviceptr) ptr, size_t size))                  \
	X(cuMemSetAccess, cuMemSetAccess, 10020, ,                                                   \
	  (VGPU_CU(CUdeviceptr) ptr, size_t size, const VGPU_CU(CUmemAccessDesc) *desc, size_t count)) \
	X(cuMemGetAllocationGranularity, cuMemGetAllocationGranularity, 10020, ,                     \
	  (size_t *granularity, const VGPU_CU(CUmemAllocationProp) *prop,                            \
	   VGPU_CU(CUmemAllocationGranularity_flags) option))                                        \
	/* streams and launches */                                                                   \
	X(cuStreamCreate, cuStreamCreate, 2000, , (VGPU_CU(CUstream) *phStream, unsigned int Flags)) \
	X(cuStreamDestroy, cuStreamDestroy, 2000, , (VGPU_CU(CUstream) hStream))                     \
	X(cuStreamDestroy_v2, cuStreamDestroy, 4000, , (VGPU_CU(CUstream) hStream))                  \
	X(cuStreamSynchronize, cuStreamSynchronize, 2000, , (VGPU_CU(CUstream) hStream))             \
	X(cuStreamSynchronize_ptsz, cuStreamSynchronize, 7000, _ptsz, (VGPU_CU(CUstream) hStream))   \
	X(cuLaunchKernel, cuLaunchKernel, 4000, ,                                                    \
	  (VGPU_CU(CUfunction) f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, \
	   unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,                   \
	   unsigned int sharedMemBytes, VGPU_CU(CUstream) hStream, void **kernelParams, void **extra)) \
	X(cuLaunchKernel_ptsz, cuLaunchKernel, 7000, _ptsz,                                          \
	  (VGPU_CU(CUfunction) f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, \
	   unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,                   \
	   unsigned int sharedMemBytes, VGPU_CU(CUstream) hStream, void **kernelParams, void **extra))                         \
	/* modules (per context) and libraries (context-independent, CUDA 12) */                     \
	X(cuModuleLoad, cuModuleLoad, 2000, , (VGPU_CU(CUmodule) *module, const char *fname))         \
	X(cuModuleLoadData, cuModuleLoadData, 2000, , (VGPU_CU(CUmodule) *module, const void *image)) \
	X(cuModuleLoadDataEx, cuModuleLoadDataEx, 2010, ,                                            \
	  (VGPU_CU(CUmodule) *module, const void *image, unsigned int numOptions,                    \
	   VGPU_CU(CUjit_option) *options, void **optionValues))                                     \
	X(cuModuleLoadFatBinary, cuModuleLoadFatBinary, 2000, ,                                      \
	  (VGPU_CU(CUmodule) *module, const void *fatCubin))                                         \
	X(cuModuleUnload, cuModuleUnload, 2000, , (VGPU_CU(CUmodule) hmod))                          \
	X(cuModuleGetFunction, cuModuleGetFunction, 2000, ,                                          \
	  (VGPU_CU(CUfunction) *hfunc, VGPU_CU(CUmodule) hmod, const char *name))                    \
	X(cuModuleGetGlobal_v2, cuModuleGetGlobal, 3020, ,                                           \
	  (VGPU_CU(CUdeviceptr) *dptr, size_t *bytes, VGPU_CU(CUmodule) hmod, const char *name))     \
	X(cuLibraryLoadData, cuLibraryLoadData, 12000, ,                                             \
	  (VGPU_CU(CUlibrary) *library, const void *code, VGPU_CU(CUjit_option) *jitOptions,         \
	   void **jitOptionsValues, unsigned int numJitOptions, VGPU_CU(CUlibraryOption) *libraryOptions, \
	   void **libraryOptionValues, unsigned int numLibraryOptions))                              \
	X(cuLibraryLoadFromFile, cuLibraryLoadFromFile, 12000, ,                                     \
	  (VGPU_CU(CUlibrary) *library, const char *fileName, VGPU_CU(CUjit_option) *jitOptions,     \
	   void **jitOptionsValues, unsigned int numJitOptions, VGPU_CU(CUlibraryOption) *libraryOptions, \
	   void **libraryOptionValues, unsigned int numLibraryOptions))                              \
	X(cuLibraryUnload, cuLibraryUnload, 12000, , (VGPU_CU(CUlibrary) library))                   \
	X(cuLibraryGetKernel, cuLibraryGetKernel, 12000, ,                                           \
	  (VGPU_CU(CUkernel) *pKernel, VGPU_CU(CUlibrary) library, const char *name))                \
	X(cuLibraryGetModule, cuLibraryGetModule, 12000, ,                                           \
	  (VGPU_CU(CUmodule) *pMod, VGPU_CU(CUlibrary) library))                                     \
	X(cuLibraryGetGlobal, cuLibraryGetGlobal, 12000, ,                                           \
	  (VGPU_CU(CUdeviceptr) *dptr, size_t *bytes, VGPU_CU(CUlibrary) library, const char *name)) \
	X(cuKernelGetFunction, cuKernelGetFunction, 12000, ,                                         \
	  (VGPU_CU(CUfunction) *pFunc, VGPU_CU(CUkernel) kernel))                                    \
	X(cuFuncGetAttribute, cuFuncGetAttribute, 2020, ,                                            \
	  (int *pi, VGPU_CU(CUfunction_attribute) attrib, VGPU_CU(CUfunction) hfunc))                \
	/* graphs */                                                                                 \
	X(cuGraphCreate, cuGraphCreate, 10000, , (VGPU_CU(CUgraph) *phGraph, unsigned int flags))    \
	X(cuGraphDestroy, cuGraphDestroy, 10000, , (VGPU_CU(CUgraph) hGraph))                        \
	X(cuGraphAddEmptyNode, cuGraphAddEmptyNode, 10000, ,                                         \
	  (VGPU_CU(CUgraphNode) *phGraphNode, VGPU_CU(CUgraph) hGraph,                               \
	   const VGPU_CU(CUgraphNode) *dependencies, size_t numDependencies))                        \
	X(cuGraphAddKernelNode, cuGraphAddKernelNode, 10000, ,                                       \
	  (VGPU_CU(CUgraphNode) *phGraphNode, VGPU_CU(CUgraph) hGraph,                               \
	   const VGPU_CU(CUgraphNode) *dependencies, size_t numDependencies,                         \
	   const VGPU_CU(CUDA_KERNEL_NODE_PARAMS_v1) *nodeParams))                                   \
	X(cuGraphAddKernelNode_v2, cuGraphAddKernelNode, 12000, ,                                    \
	  (VGPU_CU(CUgraphNode) *phGraphNode, VGPU_CU(CUgraph) hGraph,                               \
	   const VGPU_CU(CUgraphNode) *dependencies, size_t numDependencies,                         \
	   const VGPU_CU(CUDA_KERNEL_NODE_PARAMS_v2) *nodeParams))                                   \
	X(cuGraphAddMemAllocNode, cuGraphAddMemAllocNode, 11040, ,                                   \
	  (VGPU_CU(CUgraphNode) *phGraphNode, VGPU_CU(CUgraph) hGraph,                               \
	   const VGPU_CU(CUgraphNode) *dependencies, size_t numDependencies,                         \
	   VGPU_CU(CUDA_MEM_ALLOC_NODE_PARAMS) *nodeParams))                                         \
	X(cuGraphAddMemFreeNode, cuGraphAddMemFreeNode, 11040, ,                                     \
	  (VGPU_CU(CUgraphNode) *phGraphNode, VGPU_CU(CUgraph) hGraph,                               \
	   const VGPU_CU(CUgraphNode) *dependencies, size_t numDependencies, VGPU_CU(CUdeviceptr) dptr)) \
	X(cuDeviceGraphMemTrim, cuDeviceGraphMemTrim, 11040, , (VGPU_CU(CUdevice) device))           \
	X(cuDeviceGetGraphMemAttribute, cuDeviceGetGraphMemAttribute, 11040, ,                       \
	  (VGPU_CU(CUdevice) device, VGPU_CU(CUgraphMem_attribute) attr, void *value))               \
	X(cuGraphInstantiate, cuGraphInstantiate, 10000, ,                                           \
	  (VGPU_CU(CUgraphExec) *phGraphExec, VGPU_CU(CUgraph) hGraph, VGPU_CU(CUgraphNode) *phErrorNode, \
	   char *logBuffer, size_t bufferSize))                                                      \
	X(cuGraphInstantiate_v2, cuGraphInstantiate, 11000, ,                                        \
	  (VGPU_CU(CUgraphExec) *phGraphExec, VGPU_CU(CUgraph) hGraph, VGPU_CU(CUgraphNode) *phErrorNode, \
	   char *logBuffer, size_t bufferSize))                                                      \
	X(cuGraphInstantiateWithFlags, cuGraphInstantiateWithFlags, 11040, ,                         \
	  (VGPU_CU(CUgraphExec) *phGraphExec, VGPU_CU(CUgraph) hGraph, unsigned long long flags))    \
	X(cuGraphInstantiateWithParams, cuGraphInstantiateWithParams, 12000, ,                       \
	  (VGPU_CU(CUgraphExec) *phGraphExec, VGPU_CU(CUgraph) hGraph,                               \
	   VGPU_CU(CUDA_GRAPH_INSTANTIATE_PARAMS) *instantiateParams))                               \
	X(cuGraphInstantiateWithParams_ptsz, cuGraphInstantiateWithParams, 12000, _ptsz,             \
	  (VGPU_CU(CUgraphExec) *phGraphExec, VGPU_CU(CUgraph) hGraph,                               \
	   VGPU_CU(CUDA_GRAPH_INSTANTIATE_PARAMS) *instantiateParams))                               \
	X(cuGraphLaunch, cuGraphLaunch, 10000, , (VGPU_CU(CUgraphExec) hGraphExec, VGPU_CU(CUstream) hStream)) \
	X(cuGraphLaunch_ptsz, cuGraphLaunch, 10000, _ptsz,                                           \
	  (VGPU_CU(CUgraphExec) hGraphExec, VGPU_CU(CUstream) hStream))                              \
	X(cuGraphExecDestroy, cuGraphExecDestroy, 10000, , (VGPU_CU(CUgraphExec) hGraphExec))

/* typedef VGPU_CU(CUresult) (*vgpu_pfn_<symbol>)(...); one per entry point. */
#define VGPU_CUDA_PFN_TYPEDEF(sym, base, ver, pt, params) typedef VGPU_CU(CUresult)(*vgpu_pfn_##sym) params;
VGPU_CUDA_ENTRY_POINTS(VGPU_CUDA_PFN_TYPEDEF)
#undef VGPU_CUDA_PFN_TYPEDEF

#if defined(VGPU_CUDA_DECLARE_PROTOTYPES) && !defined(VGPU_CUDA_ABI_CHECK)
#define VGPU_CUDA_PROTOTYPE(sym, base, ver, pt, params) vgpu_CUresult sym params;
VGPU_CUDA_ENTRY_POINTS(VGPU_CUDA_PROTOTYPE)
#undef VGPU_CUDA_PROTOTYPE
#endif

/* ---- layout checks (LP64) --------------------------------------------- */
#if defined(__LP64__)
_Static_assert(sizeof(vgpu_CUresult) == 4, "CUresult is 4 bytes");
_Static_assert(sizeof(vgpu_CUuuid) == 16, "CUuuid layout");
_Static_assert(sizeof(vgpu_CUmemAllocationProp) == 32, "CUmemAllocationProp layout");
_Static_assert(sizeof(vgpu_CUmemAccessDesc) == 12, "CUmemAccessDesc layout");
_Static_assert(sizeof(vgpu_CUmemPoolProps) == 88, "CUmemPoolProps layout");
_Static_assert(sizeof(vgpu_CUctxCreateParams) == 24, "CUctxCreateParams layout");
_Static_assert(sizeof(vgpu_CUDA_ARRAY_DESCRIPTOR) == 24, "CUDA_ARRAY_DESCRIPTOR layout");
_Static_assert(sizeof(vgpu_CUDA_ARRAY_DESCRIPTOR_v1) == 16, "CUDA_ARRAY_DESCRIPTOR_v1 layout");
_Static_assert(sizeof(vgpu_CUDA_ARRAY3D_DESCRIPTOR) == 40, "CUDA_ARRAY3D_DESCRIPTOR layout");
_Static_assert(sizeof(vgpu_CUDA_ARRAY3D_DESCRIPTOR_v1) == 24, "CUDA_ARRAY3D_DESCRIPTOR_v1 layout");
_Static_assert(sizeof(vgpu_CUlaunchConfig) == 56, "CUlaunchConfig layout");
_Static_assert(sizeof(vgpu_CUDA_KERNEL_NODE_PARAMS_v1) == 56, "CUDA_KERNEL_NODE_PARAMS_v1 layout");
_Static_assert(sizeof(vgpu_CUDA_KERNEL_NODE_PARAMS_v2) == 72, "CUDA_KERNEL_NODE_PARAMS_v2 layout");
_Static_assert(sizeof(vgpu_CUDA_MEM_ALLOC_NODE_PARAMS_v1) == 120, "CUDA_MEM_ALLOC_NODE_PARAMS layout");
_Static_assert(sizeof(vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS) == 32, "CUDA_GRAPH_INSTANTIATE_PARAMS layout");
#endif

#endif
