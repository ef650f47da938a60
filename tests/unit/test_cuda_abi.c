/*
 * Checks src/include/vgpu_cuda_abi.h against NVIDIA's cuda.h and
 * cudaTypedefs.h (built only when the CUDA toolkit headers are installed:
 * HAVE_CUDA_H, $(CUDA_CPPFLAGS)).
 *
 * Most checks are compile-time: this file does not build when a value, a
 * layout or an entry point's type differs. cuda.h is included with
 * __CUDA_API_VERSION_INTERNAL so that it neither renames cuMemAlloc to
 * cuMemAlloc_v2 nor hides the pre-3.2 PFN_*_v2000 typedefs; with
 * VGPU_CUDA_ABI_CHECK our function pointer types are spelt with NVIDIA's
 * types, so __builtin_types_compatible_p compares the parameter lists.
 * The run-time cases check the entry point list itself.
 */
#define __CUDA_API_VERSION_INTERNAL 1
#include <cuda.h>
#include <cudaTypedefs.h>

#define VGPU_CUDA_ABI_CHECK 1
#include "vgpu_cuda_abi.h"

#include <stdalign.h>
#include <string.h>

#include "vgpu_test.h"

#define SAME_TYPE(a, b) __builtin_types_compatible_p(a, b)
/* Enumerators of two different enum types, compared as numbers. */
#define SAME_VALUE(a, b) ((long long)(a) == (long long)(b))
#define NOT_AFTER(a, b) ((long long)(a) <= (long long)(b))
#define SAME_LAYOUT(ours, theirs)                                                        \
	_Static_assert(sizeof(ours) == sizeof(theirs) && alignof(ours) == alignof(theirs), \
		       #ours " has the size and alignment of " #theirs)
#define SAME_OFFSET(ours, theirs, field)                                                 \
	_Static_assert(offsetof(ours, field) == offsetof(theirs, field), #ours "." #field " offset")

/* ---- every CUresult value and every attribute we name ------------------- */
#define CHECK_RESULT(name, value, text) \
	_Static_assert(SAME_VALUE(VGPU_CUDA_##name, CUDA_##name) && SAME_VALUE(value, CUDA_##name), \
		       "CUDA_" #name);
VGPU_CUDA_RESULTS(CHECK_RESULT)
#undef CHECK_RESULT

#define CHECK_ATTRIBUTE(name, value) \
	_Static_assert(SAME_VALUE(VGPU_CU_DEVICE_ATTRIBUTE_##name, CU_DEVICE_ATTRIBUTE_##name), #name);
VGPU_CUDA_DEVICE_ATTRIBUTES(CHECK_ATTRIBUTE)
#undef CHECK_ATTRIBUTE
_Static_assert(NOT_AFTER(VGPU_CU_DEVICE_ATTRIBUTE_MAX, CU_DEVICE_ATTRIBUTE_MAX), "attribute range");

/* ---- other enum values and flags -------------------------------------- */
_Static_assert(SAME_VALUE(VGPU_CU_MEM_LOCATION_TYPE_DEVICE, CU_MEM_LOCATION_TYPE_DEVICE), "location");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_LOCATION_TYPE_HOST, CU_MEM_LOCATION_TYPE_HOST), "location host");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_LOCATION_TYPE_HOST_NUMA, CU_MEM_LOCATION_TYPE_HOST_NUMA), "numa");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_LOCATION_TYPE_HOST_NUMA_CURRENT, CU_MEM_LOCATION_TYPE_HOST_NUMA_CURRENT),
	       "numa current");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_ALLOCATION_TYPE_PINNED, CU_MEM_ALLOCATION_TYPE_PINNED), "pinned");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_HANDLE_TYPE_NONE, CU_MEM_HANDLE_TYPE_NONE), "handle none");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR, CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR),
	       "handle fd");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_HANDLE_TYPE_FABRIC, CU_MEM_HANDLE_TYPE_FABRIC), "handle fabric");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_ACCESS_FLAGS_PROT_NONE, CU_MEM_ACCESS_FLAGS_PROT_NONE), "prot none");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_ACCESS_FLAGS_PROT_READ, CU_MEM_ACCESS_FLAGS_PROT_READ), "prot read");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_ACCESS_FLAGS_PROT_READWRITE, CU_MEM_ACCESS_FLAGS_PROT_READWRITE), "prot rw");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_ALLOC_GRANULARITY_MINIMUM, CU_MEM_ALLOC_GRANULARITY_MINIMUM), "gran min");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_ALLOC_GRANULARITY_RECOMMENDED, CU_MEM_ALLOC_GRANULARITY_RECOMMENDED),
	       "gran rec");
_Static_assert(SAME_VALUE(VGPU_CU_AD_FORMAT_UNSIGNED_INT8, CU_AD_FORMAT_UNSIGNED_INT8), "u8");
_Static_assert(SAME_VALUE(VGPU_CU_AD_FORMAT_UNSIGNED_INT16, CU_AD_FORMAT_UNSIGNED_INT16), "u16");
_Static_assert(SAME_VALUE(VGPU_CU_AD_FORMAT_UNSIGNED_INT32, CU_AD_FORMAT_UNSIGNED_INT32), "u32");
_Static_assert(SAME_VALUE(VGPU_CU_AD_FORMAT_SIGNED_INT8, CU_AD_FORMAT_SIGNED_INT8), "s8");
_Static_assert(SAME_VALUE(VGPU_CU_AD_FORMAT_SIGNED_INT16, CU_AD_FORMAT_SIGNED_INT16), "s16");
_Static_assert(SAME_VALUE(VGPU_CU_AD_FORMAT_SIGNED_INT32, CU_AD_FORMAT_SIGNED_INT32), "s32");
_Static_assert(SAME_VALUE(VGPU_CU_AD_FORMAT_HALF, CU_AD_FORMAT_HALF), "half");
_Static_assert(SAME_VALUE(VGPU_CU_AD_FORMAT_FLOAT, CU_AD_FORMAT_FLOAT), "float");
_Static_assert(SAME_VALUE(VGPU_CU_GET_PROC_ADDRESS_DEFAULT, CU_GET_PROC_ADDRESS_DEFAULT), "default");
_Static_assert(SAME_VALUE(VGPU_CU_GET_PROC_ADDRESS_LEGACY_STREAM, CU_GET_PROC_ADDRESS_LEGACY_STREAM), "legacy");
_Static_assert(SAME_VALUE(VGPU_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM),
	       "per thread");
_Static_assert(SAME_VALUE(VGPU_CU_GET_PROC_ADDRESS_SUCCESS, CU_GET_PROC_ADDRESS_SUCCESS), "success");
_Static_assert(SAME_VALUE(VGPU_CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND),
	       "not found");
_Static_assert(SAME_VALUE(VGPU_CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT),
	       "version");
_Static_assert(SAME_VALUE(VGPU_CU_EXEC_AFFINITY_TYPE_SM_COUNT, CU_EXEC_AFFINITY_TYPE_SM_COUNT), "affinity");
_Static_assert(SAME_VALUE(VGPU_CU_MEMHOSTALLOC_PORTABLE, CU_MEMHOSTALLOC_PORTABLE), "hostalloc portable");
_Static_assert(SAME_VALUE(VGPU_CU_MEMHOSTALLOC_DEVICEMAP, CU_MEMHOSTALLOC_DEVICEMAP), "hostalloc devicemap");
_Static_assert(SAME_VALUE(VGPU_CU_MEMHOSTALLOC_WRITECOMBINED, CU_MEMHOSTALLOC_WRITECOMBINED), "hostalloc wc");
_Static_assert(SAME_VALUE(VGPU_CU_MEMHOSTREGISTER_PORTABLE, CU_MEMHOSTREGISTER_PORTABLE), "register portable");
_Static_assert(SAME_VALUE(VGPU_CU_MEMHOSTREGISTER_DEVICEMAP, CU_MEMHOSTREGISTER_DEVICEMAP), "register devmap");
_Static_assert(SAME_VALUE(VGPU_CU_MEMHOSTREGISTER_IOMEMORY, CU_MEMHOSTREGISTER_IOMEMORY), "register io");
_Static_assert(SAME_VALUE(VGPU_CU_MEMHOSTREGISTER_READ_ONLY, CU_MEMHOSTREGISTER_READ_ONLY), "register ro");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_ATTACH_GLOBAL, CU_MEM_ATTACH_GLOBAL), "attach global");
_Static_assert(SAME_VALUE(VGPU_CU_MEM_ATTACH_HOST, CU_MEM_ATTACH_HOST), "attach host");
_Static_assert(SAME_VALUE(VGPU_CU_STREAM_DEFAULT, CU_STREAM_DEFAULT), "stream default");
_Static_assert(SAME_VALUE(VGPU_CU_STREAM_NON_BLOCKING, CU_STREAM_NON_BLOCKING), "stream non-blocking");
_Static_assert(NOT_AFTER(VGPU_CUDA_VERSION, CUDA_VERSION), "these headers are at least CUDA 13.0");

/* ---- scalar, handle and struct layouts ---------------------------------- */
_Static_assert(SAME_TYPE(vgpu_CUdevice, CUdevice), "CUdevice");
_Static_assert(SAME_TYPE(vgpu_CUdevice_v1, CUdevice_v1), "CUdevice_v1");
_Static_assert(SAME_TYPE(vgpu_CUdeviceptr, CUdeviceptr), "CUdeviceptr");
_Static_assert(SAME_TYPE(vgpu_CUdeviceptr_v2, CUdeviceptr_v2), "CUdeviceptr_v2");
_Static_assert(SAME_TYPE(vgpu_CUdeviceptr_v1, CUdeviceptr_v1), "CUdeviceptr_v1");
_Static_assert(SAME_TYPE(vgpu_cuuint64_t, cuuint64_t), "cuuint64_t");
_Static_assert(SAME_TYPE(vgpu_CUmemGenericAllocationHandle, CUmemGenericAllocationHandle), "handle");
SAME_LAYOUT(vgpu_CUresult, CUresult);
SAME_LAYOUT(vgpu_CUdevice_attribute, CUdevice_attribute);
SAME_LAYOUT(vgpu_CUdriverProcAddressQueryResult, CUdriverProcAddressQueryResult);
SAME_LAYOUT(vgpu_CUmemAllocationGranularity_flags, CUmemAllocationGranularity_flags);
SAME_LAYOUT(vgpu_CUcontext, CUcontext);
SAME_LAYOUT(vgpu_CUstream, CUstream);
SAME_LAYOUT(vgpu_CUfunction, CUfunction);
SAME_LAYOUT(vgpu_CUarray, CUarray);
SAME_LAYOUT(vgpu_CUgraphExec, CUgraphExec);
SAME_LAYOUT(vgpu_CUmemoryPool, CUmemoryPool);
SAME_LAYOUT(vgpu_CUuuid, CUuuid);
SAME_OFFSET(vgpu_CUuuid, CUuuid, bytes);

SAME_LAYOUT(vgpu_CUmemLocation, CUmemLocation);
SAME_OFFSET(vgpu_CUmemLocation, CUmemLocation, type);
SAME_OFFSET(vgpu_CUmemLocation, CUmemLocation, id);

SAME_LAYOUT(vgpu_CUmemAllocationProp, CUmemAllocationProp);
SAME_OFFSET(vgpu_CUmemAllocationProp, CUmemAllocationProp, type);
SAME_OFFSET(vgpu_CUmemAllocationProp, CUmemAllocationProp, requestedHandleTypes);
SAME_OFFSET(vgpu_CUmemAllocationProp, CUmemAllocationProp, location);
SAME_OFFSET(vgpu_CUmemAllocationProp, CUmemAllocationProp, win32HandleMetaData);
SAME_OFFSET(vgpu_CUmemAllocationProp, CUmemAllocationProp, allocFlags);
SAME_OFFSET(vgpu_CUmemAllocationProp, CUmemAllocationProp, allocFlags.compressionType);
SAME_OFFSET(vgpu_CUmemAllocationProp, CUmemAllocationProp, allocFlags.gpuDirectRDMACapable);
SAME_OFFSET(vgpu_CUmemAllocationProp, CUmemAllocationProp, allocFlags.usage);
SAME_OFFSET(vgpu_CUmemAllocationProp, CUmemAllocationProp, allocFlags.reserved);

SAME_LAYOUT(vgpu_CUmemAccessDesc, CUmemAccessDesc);
SAME_OFFSET(vgpu_CUmemAccessDesc, CUmemAccessDesc, location);
SAME_OFFSET(vgpu_CUmemAccessDesc, CUmemAccessDesc, flags);

SAME_LAYOUT(vgpu_CUmemPoolProps, CUmemPoolProps);
SAME_OFFSET(vgpu_CUmemPoolProps, CUmemPoolProps, allocType);
SAME_OFFSET(vgpu_CUmemPoolProps, CUmemPoolProps, handleTypes);
SAME_OFFSET(vgpu_CUmemPoolProps, CUmemPoolProps, location);
SAME_OFFSET(vgpu_CUmemPoolProps, CUmemPoolProps, win32SecurityAttributes);
SAME_OFFSET(vgpu_CUmemPoolProps, CUmemPoolProps, maxSize);
SAME_OFFSET(vgpu_CUmemPoolProps, CUmemPoolProps, usage);
SAME_OFFSET(vgpu_CUmemPoolProps, CUmemPoolProps, reserved);

SAME_LAYOUT(vgpu_CUexecAffinityParam, CUexecAffinityParam);
SAME_OFFSET(vgpu_CUexecAffinityParam, CUexecAffinityParam, type);
SAME_OFFSET(vgpu_CUexecAffinityParam, CUexecAffinityParam, param.smCount.val);

SAME_LAYOUT(vgpu_CUctxCreateParams, CUctxCreateParams);
SAME_OFFSET(vgpu_CUctxCreateParams, CUctxCreateParams, execAffinityParams);
SAME_OFFSET(vgpu_CUctxCreateParams, CUctxCreateParams, numExecAffinityParams);
SAME_OFFSET(vgpu_CUctxCreateParams, CUctxCreateParams, cigParams);

SAME_LAYOUT(vgpu_CUDA_ARRAY_DESCRIPTOR, CUDA_ARRAY_DESCRIPTOR_v2);
SAME_OFFSET(vgpu_CUDA_ARRAY_DESCRIPTOR, CUDA_ARRAY_DESCRIPTOR_v2, Width);
SAME_OFFSET(vgpu_CUDA_ARRAY_DESCRIPTOR, CUDA_ARRAY_DESCRIPTOR_v2, Height);
SAME_OFFSET(vgpu_CUDA_ARRAY_DESCRIPTOR, CUDA_ARRAY_DESCRIPTOR_v2, Format);
SAME_OFFSET(vgpu_CUDA_ARRAY_DESCRIPTOR, CUDA_ARRAY_DESCRIPTOR_v2, NumChannels);

SAME_LAYOUT(vgpu_CUDA_ARRAY_DESCRIPTOR_v1, CUDA_ARRAY_DESCRIPTOR_v1);
SAME_OFFSET(vgpu_CUDA_ARRAY_DESCRIPTOR_v1, CUDA_ARRAY_DESCRIPTOR_v1, Height);
SAME_OFFSET(vgpu_CUDA_ARRAY_DESCRIPTOR_v1, CUDA_ARRAY_DESCRIPTOR_v1, Format);
SAME_OFFSET(vgpu_CUDA_ARRAY_DESCRIPTOR_v1, CUDA_ARRAY_DESCRIPTOR_v1, NumChannels);
SAME_LAYOUT(vgpu_CUDA_ARRAY3D_DESCRIPTOR, CUDA_ARRAY3D_DESCRIPTOR_v2);
SAME_OFFSET(vgpu_CUDA_ARRAY3D_DESCRIPTOR, CUDA_ARRAY3D_DESCRIPTOR_v2, Depth);
SAME_OFFSET(vgpu_CUDA_ARRAY3D_DESCRIPTOR, CUDA_ARRAY3D_DESCRIPTOR_v2, Format);
SAME_OFFSET(vgpu_CUDA_ARRAY3D_DESCRIPTOR, CUDA_ARRAY3D_DESCRIPTOR_v2, NumChannels);
SAME_OFFSET(vgpu_CUDA_ARRAY3D_DESCRIPTOR, CUDA_ARRAY3D_DESCRIPTOR_v2, Flags);
SAME_LAYOUT(vgpu_CUDA_ARRAY3D_DESCRIPTOR_v1, CUDA_ARRAY3D_DESCRIPTOR_v1);
SAME_OFFSET(vgpu_CUDA_ARRAY3D_DESCRIPTOR_v1, CUDA_ARRAY3D_DESCRIPTOR_v1, Depth);
SAME_OFFSET(vgpu_CUDA_ARRAY3D_DESCRIPTOR_v1, CUDA_ARRAY3D_DESCRIPTOR_v1, Format);
SAME_OFFSET(vgpu_CUDA_ARRAY3D_DESCRIPTOR_v1, CUDA_ARRAY3D_DESCRIPTOR_v1, Flags);
_Static_assert(SAME_VALUE(VGPU_CUDA_ARRAY3D_LAYERED, CUDA_ARRAY3D_LAYERED), "layered");
_Static_assert(SAME_VALUE(VGPU_CUDA_ARRAY3D_CUBEMAP, CUDA_ARRAY3D_CUBEMAP), "cubemap");
_Static_assert(SAME_VALUE(VGPU_CUDA_ARRAY3D_SPARSE, CUDA_ARRAY3D_SPARSE), "sparse");
_Static_assert(SAME_VALUE(VGPU_CUDA_ARRAY3D_DEFERRED_MAPPING, CUDA_ARRAY3D_DEFERRED_MAPPING), "deferred");

SAME_LAYOUT(vgpu_CUlimit, CUlimit);
_Static_assert(SAME_VALUE(VGPU_CU_LIMIT_STACK_SIZE, CU_LIMIT_STACK_SIZE), "stack");
_Static_assert(SAME_VALUE(VGPU_CU_LIMIT_PRINTF_FIFO_SIZE, CU_LIMIT_PRINTF_FIFO_SIZE), "printf");
_Static_assert(SAME_VALUE(VGPU_CU_LIMIT_MALLOC_HEAP_SIZE, CU_LIMIT_MALLOC_HEAP_SIZE), "heap");
_Static_assert(SAME_VALUE(VGPU_CU_LIMIT_DEV_RUNTIME_SYNC_DEPTH, CU_LIMIT_DEV_RUNTIME_SYNC_DEPTH), "sync depth");
_Static_assert(SAME_VALUE(VGPU_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT, CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT),
	       "pending launches");
_Static_assert(SAME_VALUE(VGPU_CU_LIMIT_MAX_L2_FETCH_GRANULARITY, CU_LIMIT_MAX_L2_FETCH_GRANULARITY), "l2 fetch");
_Static_assert(SAME_VALUE(VGPU_CU_LIMIT_PERSISTING_L2_CACHE_SIZE, CU_LIMIT_PERSISTING_L2_CACHE_SIZE), "l2 persist");
_Static_assert(SAME_VALUE(VGPU_CU_LIMIT_SHMEM_SIZE, CU_LIMIT_SHMEM_SIZE), "shmem");
_Static_assert(SAME_VALUE(VGPU_CU_LIMIT_CIG_ENABLED, CU_LIMIT_CIG_ENABLED), "cig");
_Static_assert(SAME_VALUE(VGPU_CU_LIMIT_CIG_SHMEM_FALLBACK_ENABLED, CU_LIMIT_CIG_SHMEM_FALLBACK_ENABLED), "cig fb");
_Static_assert(SAME_VALUE(VGPU_CU_LIMIT_MAX, CU_LIMIT_MAX), "limit max");

SAME_LAYOUT(vgpu_CUmemPool_attribute, CUmemPool_attribute);
#define CHECK_POOL_ATTR(n) _Static_assert(SAME_VALUE(VGPU_CU_MEMPOOL_ATTR_##n, CU_MEMPOOL_ATTR_##n), #n)
CHECK_POOL_ATTR(REUSE_FOLLOW_EVENT_DEPENDENCIES);
CHECK_POOL_ATTR(REUSE_ALLOW_OPPORTUNISTIC);
CHECK_POOL_ATTR(REUSE_ALLOW_INTERNAL_DEPENDENCIES);
CHECK_POOL_ATTR(RELEASE_THRESHOLD);
CHECK_POOL_ATTR(RESERVED_MEM_CURRENT);
CHECK_POOL_ATTR(RESERVED_MEM_HIGH);
CHECK_POOL_ATTR(USED_MEM_CURRENT);
CHECK_POOL_ATTR(USED_MEM_HIGH);
#undef CHECK_POOL_ATTR

SAME_LAYOUT(vgpu_CUlaunchConfig, CUlaunchConfig);
SAME_OFFSET(vgpu_CUlaunchConfig, CUlaunchConfig, gridDimZ);
SAME_OFFSET(vgpu_CUlaunchConfig, CUlaunchConfig, sharedMemBytes);
SAME_OFFSET(vgpu_CUlaunchConfig, CUlaunchConfig, hStream);
SAME_OFFSET(vgpu_CUlaunchConfig, CUlaunchConfig, attrs);
SAME_OFFSET(vgpu_CUlaunchConfig, CUlaunchConfig, numAttrs);

/* graphs */
SAME_LAYOUT(vgpu_CUgraph, CUgraph);
SAME_LAYOUT(vgpu_CUgraphNode, CUgraphNode);
SAME_LAYOUT(vgpu_CUkernel, CUkernel);
SAME_LAYOUT(vgpu_CUmipmappedArray, CUmipmappedArray);
#define CHECK_KNODE(ours, theirs)                  \
	SAME_LAYOUT(ours, theirs);                 \
	SAME_OFFSET(ours, theirs, func);           \
	SAME_OFFSET(ours, theirs, gridDimX);       \
	SAME_OFFSET(ours, theirs, blockDimZ);      \
	SAME_OFFSET(ours, theirs, sharedMemBytes); \
	SAME_OFFSET(ours, theirs, kernelParams);   \
	SAME_OFFSET(ours, theirs, extra)
CHECK_KNODE(vgpu_CUDA_KERNEL_NODE_PARAMS_v1, CUDA_KERNEL_NODE_PARAMS_v1);
CHECK_KNODE(vgpu_CUDA_KERNEL_NODE_PARAMS_v2, CUDA_KERNEL_NODE_PARAMS_v2);
#undef CHECK_KNODE
SAME_OFFSET(vgpu_CUDA_KERNEL_NODE_PARAMS_v2, CUDA_KERNEL_NODE_PARAMS_v2, kern);
SAME_OFFSET(vgpu_CUDA_KERNEL_NODE_PARAMS_v2, CUDA_KERNEL_NODE_PARAMS_v2, ctx);
SAME_LAYOUT(vgpu_CUDA_MEM_ALLOC_NODE_PARAMS, CUDA_MEM_ALLOC_NODE_PARAMS_v1);
SAME_OFFSET(vgpu_CUDA_MEM_ALLOC_NODE_PARAMS, CUDA_MEM_ALLOC_NODE_PARAMS_v1, poolProps);
SAME_OFFSET(vgpu_CUDA_MEM_ALLOC_NODE_PARAMS, CUDA_MEM_ALLOC_NODE_PARAMS_v1, accessDescs);
SAME_OFFSET(vgpu_CUDA_MEM_ALLOC_NODE_PARAMS, CUDA_MEM_ALLOC_NODE_PARAMS_v1, accessDescCount);
SAME_OFFSET(vgpu_CUDA_MEM_ALLOC_NODE_PARAMS, CUDA_MEM_ALLOC_NODE_PARAMS_v1, bytesize);
SAME_OFFSET(vgpu_CUDA_MEM_ALLOC_NODE_PARAMS, CUDA_MEM_ALLOC_NODE_PARAMS_v1, dptr);
SAME_LAYOUT(vgpu_CUgraphMem_attribute, CUgraphMem_attribute);
_Static_assert(SAME_VALUE(VGPU_CU_GRAPH_MEM_ATTR_USED_MEM_CURRENT, CU_GRAPH_MEM_ATTR_USED_MEM_CURRENT), "used");
_Static_assert(SAME_VALUE(VGPU_CU_GRAPH_MEM_ATTR_USED_MEM_HIGH, CU_GRAPH_MEM_ATTR_USED_MEM_HIGH), "used high");
_Static_assert(SAME_VALUE(VGPU_CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT, CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT), "rsvd");
_Static_assert(SAME_VALUE(VGPU_CU_GRAPH_MEM_ATTR_RESERVED_MEM_HIGH, CU_GRAPH_MEM_ATTR_RESERVED_MEM_HIGH), "rsvd high");
_Static_assert(SAME_VALUE(VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH,
			  CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH), "auto free");
_Static_assert(SAME_VALUE(VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD, CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD), "upload");
_Static_assert(SAME_VALUE(VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_DEVICE_LAUNCH, CUDA_GRAPH_INSTANTIATE_FLAG_DEVICE_LAUNCH),
	       "device launch");
_Static_assert(SAME_VALUE(VGPU_CUDA_GRAPH_INSTANTIATE_FLAG_USE_NODE_PRIORITY,
			  CUDA_GRAPH_INSTANTIATE_FLAG_USE_NODE_PRIORITY), "node priority");

SAME_LAYOUT(vgpu_CUgraphInstantiateResult, CUgraphInstantiateResult);
_Static_assert(SAME_VALUE(VGPU_CUDA_GRAPH_INSTANTIATE_SUCCESS, CUDA_GRAPH_INSTANTIATE_SUCCESS), "inst success");
_Static_assert(SAME_VALUE(VGPU_CUDA_GRAPH_INSTANTIATE_ERROR, CUDA_GRAPH_INSTANTIATE_ERROR), "inst error");
SAME_LAYOUT(vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS, CUDA_GRAPH_INSTANTIATE_PARAMS);
SAME_OFFSET(vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS, CUDA_GRAPH_INSTANTIATE_PARAMS, flags);
SAME_OFFSET(vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS, CUDA_GRAPH_INSTANTIATE_PARAMS, hUploadStream);
SAME_OFFSET(vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS, CUDA_GRAPH_INSTANTIATE_PARAMS, hErrNode_out);
SAME_OFFSET(vgpu_CUDA_GRAPH_INSTANTIATE_PARAMS, CUDA_GRAPH_INSTANTIATE_PARAMS, result_out);

/* modules and libraries */
SAME_LAYOUT(vgpu_CUmodule, CUmodule);
SAME_LAYOUT(vgpu_CUlibrary, CUlibrary);
SAME_LAYOUT(vgpu_CUjit_option, CUjit_option);
_Static_assert(SAME_VALUE(VGPU_CU_JIT_MAX_REGISTERS, CU_JIT_MAX_REGISTERS), "jit max registers");
_Static_assert(SAME_VALUE(VGPU_CU_JIT_NUM_OPTIONS, CU_JIT_NUM_OPTIONS), "jit options");
SAME_LAYOUT(vgpu_CUlibraryOption, CUlibraryOption);
_Static_assert(SAME_VALUE(VGPU_CU_LIBRARY_HOST_UNIVERSAL_FUNCTION_AND_DATA_TABLE,
			  CU_LIBRARY_HOST_UNIVERSAL_FUNCTION_AND_DATA_TABLE), "library option 0");
_Static_assert(SAME_VALUE(VGPU_CU_LIBRARY_BINARY_IS_PRESERVED, CU_LIBRARY_BINARY_IS_PRESERVED), "preserved");
_Static_assert(SAME_VALUE(VGPU_CU_LIBRARY_NUM_OPTIONS, CU_LIBRARY_NUM_OPTIONS), "library options");
SAME_LAYOUT(vgpu_CUfunction_attribute, CUfunction_attribute);
#define CHECK_FUNC_ATTR(n) _Static_assert(SAME_VALUE(VGPU_CU_FUNC_ATTRIBUTE_##n, CU_FUNC_ATTRIBUTE_##n), #n)
CHECK_FUNC_ATTR(MAX_THREADS_PER_BLOCK);
CHECK_FUNC_ATTR(SHARED_SIZE_BYTES);
CHECK_FUNC_ATTR(CONST_SIZE_BYTES);
CHECK_FUNC_ATTR(LOCAL_SIZE_BYTES);
CHECK_FUNC_ATTR(NUM_REGS);
CHECK_FUNC_ATTR(PTX_VERSION);
CHECK_FUNC_ATTR(BINARY_VERSION);
CHECK_FUNC_ATTR(MAX);
#undef CHECK_FUNC_ATTR

/* ---- every entry point: our type == PFN_<base>_v<version><suffix>, and
 * cuda.h declares the exported symbol with that type. ------------------- */
#define CHECK_ENTRY(sym, base, ver, pt, params)                              \
	_Static_assert(SAME_TYPE(vgpu_pfn_##sym, PFN_##base##_v##ver##pt), \
		       #sym " has the type of PFN_" #base "_v" #ver #pt);    \
	_Static_assert(SAME_TYPE(vgpu_pfn_##sym, __typeof__(&sym)), #sym " is declared by cuda.h with this type");
VGPU_CUDA_ENTRY_POINTS(CHECK_ENTRY)
#undef CHECK_ENTRY

/* ---- run-time checks of the list ------------------------------------------ */
struct entry {
	const char *sym;
	const char *base;
	int version;
	int per_thread;
};

#define ENTRY_ROW(sym, base, ver, pt, params) { #sym, #base, ver, sizeof(#pt) > 1 },
static const struct entry entries[] = { VGPU_CUDA_ENTRY_POINTS(ENTRY_ROW) };
#undef ENTRY_ROW
#define N_ENTRIES (sizeof(entries) / sizeof(entries[0]))

START_TEST(symbols_are_unique)
{
	for (size_t i = 0; i < N_ENTRIES; i++)
		for (size_t j = i + 1; j < N_ENTRIES; j++)
			ck_assert_msg(strcmp(entries[i].sym, entries[j].sym) != 0, "%s listed twice",
				      entries[i].sym);
}
END_TEST

START_TEST(base_version_pairs_are_unique)
{
	for (size_t i = 0; i < N_ENTRIES; i++)
		for (size_t j = i + 1; j < N_ENTRIES; j++)
			ck_assert_msg(strcmp(entries[i].base, entries[j].base) != 0 ||
					      entries[i].version != entries[j].version ||
					      entries[i].per_thread != entries[j].per_thread,
				      "%s and %s answer the same cuGetProcAddress query", entries[i].sym,
				      entries[j].sym);
}
END_TEST

START_TEST(symbol_names_follow_their_base)
{
	for (size_t i = 0; i < N_ENTRIES; i++) {
		const struct entry *e = &entries[i];

		ck_assert_msg(strncmp(e->sym, e->base, strlen(e->base)) == 0, "%s does not start with %s",
			      e->sym, e->base);
		ck_assert_msg(e->version >= 2000 && e->version <= VGPU_CUDA_VERSION, "%s version %d", e->sym,
			      e->version);
		if (e->per_thread)
			ck_assert_msg(strstr(e->sym, "_ptds") || strstr(e->sym, "_ptsz"),
				      "%s is per-thread but has no _ptds/_ptsz suffix", e->sym);
	}
	ck_assert_uint_ge(N_ENTRIES, 90);
}
END_TEST

START_TEST(result_names_and_texts)
{
#define RESULT_ROW(name, value, text) { "CUDA_" #name, value, text },
	static const struct {
		const char *name;
		int value;
		const char *text;
	} rows[] = { VGPU_CUDA_RESULTS(RESULT_ROW) };
#undef RESULT_ROW
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_msg(rows[i].text[0] != '\0', "%s has no text", rows[i].name);
		if (i > 0)
			ck_assert_msg(rows[i].value > rows[i - 1].value, "%s out of order", rows[i].name);
	}
	ck_assert_int_eq(rows[0].value, CUDA_SUCCESS);
	ck_assert_str_eq(rows[0].name, "CUDA_SUCCESS");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("cuda_abi");
	TCase *tc = tcase_create("list");

	tcase_add_test(tc, symbols_are_unique);
	tcase_add_test(tc, base_version_pairs_are_unique);
	tcase_add_test(tc, symbol_names_follow_their_base);
	tcase_add_test(tc, result_names_and_texts);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
