/*
 * vgpu_nvml_abi.h - our own declarations of the part of NVML's C ABI that
 * slurm-vgpu uses (libnvidia-ml.so.1, NVML API version 13, driver r580).
 *
 * No NVIDIA header is copied or needed: the values, layouts and versioned
 * function names below were checked against the public nvml.h and written
 * here independently. Shared by the discovery loader (dlopen + dlsym) and by
 * the simulated libnvidia-ml.so.1 (sim/), so both use one declaration.
 *
 * Naming: every type and constant carries a vgpu_ / VGPU_ prefix
 * (vgpu_nvmlReturn_t, VGPU_NVML_SUCCESS, ...), so this header can share a
 * translation unit with NVIDIA's nvml.h (an ABI check, or code that also
 * includes a vendor header) without a clash. The exported function names
 * themselves are NVIDIA's, with their version suffix (nvmlInit_v2,
 * nvmlDeviceGetCount_v2, ...): look them up by exactly these names, never by
 * the unversioned names nvml.h #defines onto them.
 *
 * VGPU_NVML_ENTRY_POINTS(X) lists every entry point as
 * X(return type, exported name, (parameter list)); from it this header
 * derives one function pointer type per entry point, vgpu_pfn_<name>, e.g.
 *   vgpu_pfn_nvmlDeviceGetMemoryInfo_v2
 *     = vgpu_nvmlReturn_t (*)(vgpu_nvmlDevice_t, vgpu_nvmlMemory_v2_t *)
 * and, when VGPU_NVML_DECLARE_PROTOTYPES is defined before inclusion (only
 * the simulator, which implements them), a prototype for each.
 *
 * Sizes on LP64 (checked by _Static_assert at the end): nvmlMemory_t 24,
 * nvmlMemory_v2_t 40, nvmlPciInfo_t 68, nvmlProcessInfo_t (v2/v3) 24,
 * nvmlGpuFabricInfo_t 28, _v2_t 36, _v3_t 40, _v4_t 548, nvmlUtilization_t 8,
 * nvmlProcessInfo_v1_t 16, nvmlProcessUtilizationSample_t 32.
 *
 * Unversioned names: a real libnvidia-ml.so.1 still exports the first
 * version of each call under its bare name (nvmlInit, nvmlDeviceGetCount,
 * nvmlDeviceGetHandleByIndex, nvmlDeviceGetComputeRunningProcesses with
 * the 16-byte v1 struct, ...) for binaries built against old headers and for
 * clients that dlsym by the bare name (nvtop's first try); they are listed
 * here with the signatures of that first version.
 */
#ifndef VGPU_NVML_ABI_H
#define VGPU_NVML_ABI_H

#include <stddef.h>

/* ---- return codes (nvmlReturn_t) ------------------------------------- */
typedef enum vgpu_nvmlReturn_enum {
	VGPU_NVML_SUCCESS = 0,
	VGPU_NVML_ERROR_UNINITIALIZED = 1,
	VGPU_NVML_ERROR_INVALID_ARGUMENT = 2,
	VGPU_NVML_ERROR_NOT_SUPPORTED = 3,
	VGPU_NVML_ERROR_NO_PERMISSION = 4,
	VGPU_NVML_ERROR_ALREADY_INITIALIZED = 5,
	VGPU_NVML_ERROR_NOT_FOUND = 6,
	VGPU_NVML_ERROR_INSUFFICIENT_SIZE = 7,
	VGPU_NVML_ERROR_INSUFFICIENT_POWER = 8,
	VGPU_NVML_ERROR_DRIVER_NOT_LOADED = 9,
	VGPU_NVML_ERROR_TIMEOUT = 10,
	VGPU_NVML_ERROR_IRQ_ISSUE = 11,
	VGPU_NVML_ERROR_LIBRARY_NOT_FOUND = 12,
	VGPU_NVML_ERROR_FUNCTION_NOT_FOUND = 13,
	VGPU_NVML_ERROR_CORRUPTED_INFOROM = 14,
	VGPU_NVML_ERROR_GPU_IS_LOST = 15,
	VGPU_NVML_ERROR_RESET_REQUIRED = 16,
	VGPU_NVML_ERROR_OPERATING_SYSTEM = 17,
	VGPU_NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
	VGPU_NVML_ERROR_IN_USE = 19,
	VGPU_NVML_ERROR_MEMORY = 20,
	VGPU_NVML_ERROR_NO_DATA = 21,
	VGPU_NVML_ERROR_VGPU_ECC_NOT_SUPPORTED = 22,
	VGPU_NVML_ERROR_INSUFFICIENT_RESOURCES = 23,
	VGPU_NVML_ERROR_FREQ_NOT_SUPPORTED = 24,
	VGPU_NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
	VGPU_NVML_ERROR_DEPRECATED = 26,
	VGPU_NVML_ERROR_NOT_READY = 27,
	VGPU_NVML_ERROR_GPU_NOT_FOUND = 28,
	VGPU_NVML_ERROR_INVALID_STATE = 29,
	VGPU_NVML_ERROR_RESET_TYPE_NOT_SUPPORTED = 30,
	VGPU_NVML_ERROR_UNKNOWN = 999
} vgpu_nvmlReturn_t;

/* ---- handles, flags, buffer sizes ------------------------------------- */
/* Opaque device handle (a pointer to an undefined struct, as in nvml.h). */
typedef struct vgpu_nvmlDevice_st *vgpu_nvmlDevice_t;

/* nvmlInitWithFlags flags. */
#define VGPU_NVML_INIT_FLAG_NO_GPUS 1u
#define VGPU_NVML_INIT_FLAG_NO_ATTACH 2u

/* Buffer sizes callers pass as `length` (each includes the NUL). */
#define VGPU_NVML_DEVICE_UUID_BUFFER_SIZE 80
#define VGPU_NVML_DEVICE_UUID_V2_BUFFER_SIZE 96
#define VGPU_NVML_DEVICE_NAME_BUFFER_SIZE 64
#define VGPU_NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define VGPU_NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE 80
#define VGPU_NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE 80
#define VGPU_NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE 32
#define VGPU_NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE 16
/* "GPU-" + 36 characters of 8-4-4-4-12 hex + NUL. */
#define VGPU_NVML_DEVICE_UUID_ASCII_LEN 41

/* Links per GPU that nvmlDeviceGetNvLink* accept as r580's NVML 13 header
 * defines it (later headers raise it to 36 for newer GPUs). */
#define VGPU_NVML_NVLINK_MAX_LINKS 18

/* nvmlProcessInfo_t.usedGpuMemory when unknown ((unsigned long long)-1). */
#define VGPU_NVML_VALUE_NOT_AVAILABLE (-1)

/* nvmlDeviceGetMigMode modes. */
#define VGPU_NVML_DEVICE_MIG_DISABLE 0u
#define VGPU_NVML_DEVICE_MIG_ENABLE 1u

/* A versioned struct's `version` field: its size, and the version in the
 * top byte (nvml.h's NVML_STRUCT_VERSION). */
#define VGPU_NVML_STRUCT_VERSION(type, ver) ((unsigned int)(sizeof(type) | ((unsigned int)(ver) << 24U)))

/* ---- enums ------------------------------------------------------------ */
typedef enum vgpu_nvmlEnableState_enum {
	VGPU_NVML_FEATURE_DISABLED = 0,
	VGPU_NVML_FEATURE_ENABLED = 1
} vgpu_nvmlEnableState_t;

/* What the far end of an NVLink link is. */
typedef enum vgpu_nvmlIntNvLinkDeviceType_enum {
	VGPU_NVML_NVLINK_DEVICE_TYPE_GPU = 0x00,
	VGPU_NVML_NVLINK_DEVICE_TYPE_IBMNPU = 0x01,
	VGPU_NVML_NVLINK_DEVICE_TYPE_SWITCH = 0x02,
	VGPU_NVML_NVLINK_DEVICE_TYPE_UNKNOWN = 0xFF
} vgpu_nvmlIntNvLinkDeviceType_t;

typedef enum vgpu_nvmlGpuP2PStatus_enum {
	VGPU_NVML_P2P_STATUS_OK = 0,
	VGPU_NVML_P2P_STATUS_CHIPSET_NOT_SUPPORTED = 1,
	VGPU_NVML_P2P_STATUS_GPU_NOT_SUPPORTED = 2,
	VGPU_NVML_P2P_STATUS_IOH_TOPOLOGY_NOT_SUPPORTED = 3,
	VGPU_NVML_P2P_STATUS_DISABLED_BY_REGKEY = 4,
	VGPU_NVML_P2P_STATUS_NOT_SUPPORTED = 5,
	VGPU_NVML_P2P_STATUS_UNKNOWN = 6
} vgpu_nvmlGpuP2PStatus_t;

typedef enum vgpu_nvmlGpuP2PCapsIndex_enum {
	VGPU_NVML_P2P_CAPS_INDEX_READ = 0,
	VGPU_NVML_P2P_CAPS_INDEX_WRITE = 1,
	VGPU_NVML_P2P_CAPS_INDEX_NVLINK = 2,
	VGPU_NVML_P2P_CAPS_INDEX_ATOMICS = 3,
	VGPU_NVML_P2P_CAPS_INDEX_PCI = 4,
	VGPU_NVML_P2P_CAPS_INDEX_UNKNOWN = 5
} vgpu_nvmlGpuP2PCapsIndex_t;

/* ---- structs ---------------------------------------------------------- */
/* nvmlDeviceGetMemoryInfo (v1): used includes the memory the driver
 * reserves for itself; total = free + used. */
typedef struct vgpu_nvmlMemory_st {
	unsigned long long total;
	unsigned long long free;
	unsigned long long used;
} vgpu_nvmlMemory_t;

/* nvmlDeviceGetMemoryInfo_v2: set version = VGPU_NVML_MEMORY_V2 first.
 * reserved is reported apart; total = reserved + used + free. */
typedef struct vgpu_nvmlMemory_v2_st {
	unsigned int version;
	unsigned long long total;
	unsigned long long reserved;
	unsigned long long free;
	unsigned long long used;
} vgpu_nvmlMemory_v2_t;
#define VGPU_NVML_MEMORY_V2 VGPU_NVML_STRUCT_VERSION(vgpu_nvmlMemory_v2_t, 2)

/* nvmlPciInfo_t as nvmlDeviceGetPciInfo_v3 fills it. busId is
 * "%08X:%02X:%02X.0" (domain:bus:device.function), busIdLegacy
 * "%04X:%02X:%02X.0"; pciDeviceId is (device id << 16) | vendor id. */
typedef struct vgpu_nvmlPciInfo_st {
	char busIdLegacy[VGPU_NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE];
	unsigned int domain;
	unsigned int bus;
	unsigned int device;
	unsigned int pciDeviceId;
	unsigned int pciSubSystemId;
	char busId[VGPU_NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
} vgpu_nvmlPciInfo_t;

/* One process of nvmlDeviceGetComputeRunningProcesses_v3 (nvml.h's
 * nvmlProcessInfo_v2_t == nvmlProcessInfo_t). The MIG ids are 0xFFFFFFFF
 * when MIG is off. */
typedef struct vgpu_nvmlProcessInfo_st {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId;
	unsigned int computeInstanceId;
} vgpu_nvmlProcessInfo_t;

typedef struct vgpu_nvmlUtilization_st {
	unsigned int gpu;    /* % of the sample period a kernel was running */
	unsigned int memory; /* % of the period device memory was read/written */
} vgpu_nvmlUtilization_t;

/* nvmlDeviceGetComputeRunningProcesses (unversioned, v1): the two fields
 * NVML had before MIG; 16 bytes per entry. */
typedef struct vgpu_nvmlProcessInfo_v1_st {
	unsigned int pid;
	unsigned long long usedGpuMemory;
} vgpu_nvmlProcessInfo_v1_t;
/* The _v2 calls take nvml.h's nvmlProcessInfo_v2_t: the layout of
 * nvmlProcessInfo_t (24 bytes). */
typedef vgpu_nvmlProcessInfo_t vgpu_nvmlProcessInfo_v2_t;

/* One sample of nvmlDeviceGetProcessUtilization: timeStamp in microseconds
 * (CPU time, since the epoch), the utilisations in percent of the GPU over
 * the sample's period. 32 bytes (4 bytes of padding after pid). */
typedef struct vgpu_nvmlProcessUtilizationSample_st {
	unsigned int pid;
	unsigned long long timeStamp;
	unsigned int smUtil;
	unsigned int memUtil;
	unsigned int encUtil;
	unsigned int decUtil;
} vgpu_nvmlProcessUtilizationSample_t;

typedef enum vgpu_nvmlTemperatureSensors_enum {
	VGPU_NVML_TEMPERATURE_GPU = 0,
	VGPU_NVML_TEMPERATURE_COUNT
} vgpu_nvmlTemperatureSensors_t;

typedef enum vgpu_nvmlTemperatureThresholds_enum {
	VGPU_NVML_TEMPERATURE_THRESHOLD_SHUTDOWN = 0,
	VGPU_NVML_TEMPERATURE_THRESHOLD_SLOWDOWN = 1,
	VGPU_NVML_TEMPERATURE_THRESHOLD_MEM_MAX = 2,
	VGPU_NVML_TEMPERATURE_THRESHOLD_GPU_MAX = 3,
	VGPU_NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_MIN = 4,
	VGPU_NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_CURR = 5,
	VGPU_NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_MAX = 6,
	VGPU_NVML_TEMPERATURE_THRESHOLD_GPS_CURR = 7,
	VGPU_NVML_TEMPERATURE_THRESHOLD_COUNT
} vgpu_nvmlTemperatureThresholds_t;

typedef enum vgpu_nvmlClockType_enum {
	VGPU_NVML_CLOCK_GRAPHICS = 0,
	VGPU_NVML_CLOCK_SM = 1,
	VGPU_NVML_CLOCK_MEM = 2,
	VGPU_NVML_CLOCK_VIDEO = 3,
	VGPU_NVML_CLOCK_COUNT
} vgpu_nvmlClockType_t;

/* Performance states: P0 (most) to P15 (least); 32 when unknown. */
typedef enum vgpu_nvmlPStates_enum {
	VGPU_NVML_PSTATE_0 = 0,
	VGPU_NVML_PSTATE_8 = 8,
	VGPU_NVML_PSTATE_15 = 15,
	VGPU_NVML_PSTATE_UNKNOWN = 32
} vgpu_nvmlPstates_t;

/* The two counters of nvmlDeviceGetPcieThroughput: bytes the GPU sent (TX)
 * and received (RX) over its PCIe link, in KB/s over a short sample. */
typedef enum vgpu_nvmlPcieUtilCounter_enum {
	VGPU_NVML_PCIE_UTIL_TX_BYTES = 0,
	VGPU_NVML_PCIE_UTIL_RX_BYTES = 1,
	VGPU_NVML_PCIE_UTIL_COUNT
} vgpu_nvmlPcieUtilCounter_t;

/* GPU fabric (NVLink multi-node / IMEX) registration. */
#define VGPU_NVML_GPU_FABRIC_UUID_LEN 16
typedef unsigned char vgpu_nvmlGpuFabricState_t;
#define VGPU_NVML_GPU_FABRIC_STATE_NOT_SUPPORTED 0
#define VGPU_NVML_GPU_FABRIC_STATE_NOT_STARTED 1
#define VGPU_NVML_GPU_FABRIC_STATE_IN_PROGRESS 2
#define VGPU_NVML_GPU_FABRIC_STATE_COMPLETED 3

#define VGPU_NVML_GPU_FABRIC_HEALTH_SUMMARY_NOT_SUPPORTED 0
#define VGPU_NVML_GPU_FABRIC_HEALTH_SUMMARY_HEALTHY 1
#define VGPU_NVML_GPU_FABRIC_HEALTH_SUMMARY_UNHEALTHY 2
#define VGPU_NVML_GPU_FABRIC_HEALTH_SUMMARY_LIMITED_CAPACITY 3

/* Four generations of the fabric query (NVIDIA's nvml.h, r535 .. r610):
 *   v1  nvmlDeviceGetGpuFabricInfo(dev, nvmlGpuFabricInfo_t *)     no version word
 *   v2  nvmlDeviceGetGpuFabricInfoV(dev, nvmlGpuFabricInfo_v2_t *) version 0x02000024
 *   v3  nvmlDeviceGetGpuFabricInfoV(dev, nvmlGpuFabricInfo_v3_t *) version 0x03000028
 *   v4  nvmlDeviceGetGpuFabricInfo_v4(dev, nvmlGpuFabricInfo_v4_t *) no version word:
 *       a function of its own whose struct carries cliques[64] of (type, id)
 *       in place of cliqueId (sorted by type, then id); the legacy cliqueId is
 *       the id of the first UNICAST_POINTER entry.
 * status is meaningful only when state is COMPLETED. A driver that does not
 * know the version word of a V call answers ARGUMENT_VERSION_MISMATCH. */
typedef struct vgpu_nvmlGpuFabricInfo_st {
	unsigned char clusterUuid[VGPU_NVML_GPU_FABRIC_UUID_LEN];
	vgpu_nvmlReturn_t status;
	unsigned int cliqueId;
	vgpu_nvmlGpuFabricState_t state;
} vgpu_nvmlGpuFabricInfo_t;

typedef struct vgpu_nvmlGpuFabricInfo_v2_st {
	unsigned int version;
	unsigned char clusterUuid[VGPU_NVML_GPU_FABRIC_UUID_LEN];
	vgpu_nvmlReturn_t status;
	unsigned int cliqueId;
	vgpu_nvmlGpuFabricState_t state;
	unsigned int healthMask;
} vgpu_nvmlGpuFabricInfo_v2_t;
#define VGPU_NVML_GPU_FABRIC_INFO_V2 VGPU_NVML_STRUCT_VERSION(vgpu_nvmlGpuFabricInfo_v2_t, 2)

typedef struct vgpu_nvmlGpuFabricInfo_v3_st {
	unsigned int version;
	unsigned char clusterUuid[VGPU_NVML_GPU_FABRIC_UUID_LEN];
	vgpu_nvmlReturn_t status;
	unsigned int cliqueId;
	vgpu_nvmlGpuFabricState_t state;
	unsigned int healthMask;
	unsigned char healthSummary;
} vgpu_nvmlGpuFabricInfo_v3_t;
/* nvml.h's nvmlGpuFabricInfoV_t: what nvmlDeviceGetGpuFabricInfoV is declared
 * with; a v2 caller passes a v2 struct through this pointer type. */
typedef vgpu_nvmlGpuFabricInfo_v3_t vgpu_nvmlGpuFabricInfoV_t;
#define VGPU_NVML_GPU_FABRIC_INFO_V3 VGPU_NVML_STRUCT_VERSION(vgpu_nvmlGpuFabricInfo_v3_t, 3)

/* Clique types of the v4 query. NVML names them
 * NVML_GPU_FABRIC_CLIQUE_TYPE_{UNICAST,MULTICAST}_{POINTER,LOGICAL_ENDPOINT};
 * their numbers are those of the CUDA driver's CUcliqueType (0..3), which
 * names the same four types (doc/simulator.md). Hopper reports the two
 * pointer types; Blackwell and later add the logical-endpoint ones. */
#define VGPU_NVML_GPU_FABRIC_CLIQUE_MAX 64
#define VGPU_NVML_GPU_FABRIC_CLIQUE_TYPE_UNICAST_POINTER 0
#define VGPU_NVML_GPU_FABRIC_CLIQUE_TYPE_MULTICAST_POINTER 1
#define VGPU_NVML_GPU_FABRIC_CLIQUE_TYPE_UNICAST_LOGICAL_ENDPOINT 2
#define VGPU_NVML_GPU_FABRIC_CLIQUE_TYPE_MULTICAST_LOGICAL_ENDPOINT 3

typedef struct vgpu_nvmlGpuFabricClique_v1_st {
	unsigned char type; /* VGPU_NVML_GPU_FABRIC_CLIQUE_TYPE_* */
	unsigned int id;    /* assigned by the fabric manager */
} vgpu_nvmlGpuFabricClique_v1_t;

typedef struct vgpu_nvmlGpuFabricInfo_v4_st {
	unsigned char clusterUuid[VGPU_NVML_GPU_FABRIC_UUID_LEN];
	vgpu_nvmlReturn_t status;
	vgpu_nvmlGpuFabricClique_v1_t cliques[VGPU_NVML_GPU_FABRIC_CLIQUE_MAX];
	unsigned int numCliques;
	vgpu_nvmlGpuFabricState_t state;
	unsigned int healthMask;
	unsigned char healthSummary;
} vgpu_nvmlGpuFabricInfo_v4_t;

/* ---- entry points ----------------------------------------------------- */
/* X(return type, exported symbol, (parameters)). */
#define VGPU_NVML_ENTRY_POINTS(X)                                                                  \
	X(vgpu_nvmlReturn_t, nvmlInit_v2, (void))                                                  \
	X(vgpu_nvmlReturn_t, nvmlInitWithFlags, (unsigned int flags))                              \
	X(vgpu_nvmlReturn_t, nvmlShutdown, (void))                                                 \
	X(const char *, nvmlErrorString, (vgpu_nvmlReturn_t result))                               \
	X(vgpu_nvmlReturn_t, nvmlSystemGetDriverVersion, (char *version, unsigned int length))     \
	X(vgpu_nvmlReturn_t, nvmlSystemGetNVMLVersion, (char *version, unsigned int length))       \
	X(vgpu_nvmlReturn_t, nvmlSystemGetCudaDriverVersion, (int *cudaDriverVersion))             \
	X(vgpu_nvmlReturn_t, nvmlSystemGetCudaDriverVersion_v2, (int *cudaDriverVersion))          \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetCount_v2, (unsigned int *deviceCount))                   \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetHandleByIndex_v2,                                        \
	  (unsigned int index, vgpu_nvmlDevice_t *device))                                         \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetHandleByUUID, (const char *uuid, vgpu_nvmlDevice_t *device)) \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetHandleByPciBusId_v2,                                     \
	  (const char *pciBusId, vgpu_nvmlDevice_t *device))                                       \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetIndex, (vgpu_nvmlDevice_t device, unsigned int *index))  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetName,                                                    \
	  (vgpu_nvmlDevice_t device, char *name, unsigned int length))                             \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetUUID,                                                    \
	  (vgpu_nvmlDevice_t device, char *uuid, unsigned int length))                             \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetPciInfo_v3, (vgpu_nvmlDevice_t device, vgpu_nvmlPciInfo_t *pci)) \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetMinorNumber,                                             \
	  (vgpu_nvmlDevice_t device, unsigned int *minorNumber))                                   \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetMemoryInfo,                                              \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlMemory_t *memory))                                   \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetMemoryInfo_v2,                                           \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlMemory_v2_t *memory))                                \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetMigMode,                                                 \
	  (vgpu_nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode))        \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetCudaComputeCapability,                                   \
	  (vgpu_nvmlDevice_t device, int *major, int *minor))                                      \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetNvLinkState,                                             \
	  (vgpu_nvmlDevice_t device, unsigned int link, vgpu_nvmlEnableState_t *isActive))         \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetNvLinkRemotePciInfo_v2,                                  \
	  (vgpu_nvmlDevice_t device, unsigned int link, vgpu_nvmlPciInfo_t *pci))                  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetNvLinkRemoteDeviceType,                                  \
	  (vgpu_nvmlDevice_t device, unsigned int link, vgpu_nvmlIntNvLinkDeviceType_t *pNvLinkDeviceType)) \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetGpuFabricInfo,                                           \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlGpuFabricInfo_t *gpuFabricInfo))                     \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetGpuFabricInfoV,                                          \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlGpuFabricInfoV_t *gpuFabricInfo))                    \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetGpuFabricInfo_v4,                                        \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlGpuFabricInfo_v4_t *gpuFabricInfo))                  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetComputeRunningProcesses_v3,                              \
	  (vgpu_nvmlDevice_t device, unsigned int *infoCount, vgpu_nvmlProcessInfo_t *infos))     \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetUtilizationRates,                                        \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlUtilization_t *utilization))                         \
	X(vgpu_nvmlReturn_t, nvmlInit, (void))                                                     \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetCount, (unsigned int *deviceCount))                      \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetHandleByIndex, (unsigned int index, vgpu_nvmlDevice_t *device)) \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetComputeRunningProcesses,                                 \
	  (vgpu_nvmlDevice_t device, unsigned int *infoCount, vgpu_nvmlProcessInfo_v1_t *infos))  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetComputeRunningProcesses_v2,                              \
	  (vgpu_nvmlDevice_t device, unsigned int *infoCount, vgpu_nvmlProcessInfo_v2_t *infos))  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetGraphicsRunningProcesses,                                \
	  (vgpu_nvmlDevice_t device, unsigned int *infoCount, vgpu_nvmlProcessInfo_v1_t *infos))  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetGraphicsRunningProcesses_v2,                             \
	  (vgpu_nvmlDevice_t device, unsigned int *infoCount, vgpu_nvmlProcessInfo_v2_t *infos))  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetGraphicsRunningProcesses_v3,                             \
	  (vgpu_nvmlDevice_t device, unsigned int *infoCount, vgpu_nvmlProcessInfo_t *infos))     \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetMPSComputeRunningProcesses,                              \
	  (vgpu_nvmlDevice_t device, unsigned int *infoCount, vgpu_nvmlProcessInfo_v1_t *infos))  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetMPSComputeRunningProcesses_v2,                           \
	  (vgpu_nvmlDevice_t device, unsigned int *infoCount, vgpu_nvmlProcessInfo_v2_t *infos))  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetMPSComputeRunningProcesses_v3,                           \
	  (vgpu_nvmlDevice_t device, unsigned int *infoCount, vgpu_nvmlProcessInfo_t *infos))     \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetProcessUtilization,                                      \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlProcessUtilizationSample_t *utilization,             \
	   unsigned int *processSamplesCount, unsigned long long lastSeenTimeStamp))               \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetTemperature,                                             \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlTemperatureSensors_t sensorType, unsigned int *temp)) \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetTemperatureThreshold,                                    \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlTemperatureThresholds_t thresholdType, unsigned int *temp)) \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetPowerUsage, (vgpu_nvmlDevice_t device, unsigned int *power)) \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetPowerManagementLimit,                                    \
	  (vgpu_nvmlDevice_t device, unsigned int *limit))                                         \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetPowerManagementDefaultLimit,                             \
	  (vgpu_nvmlDevice_t device, unsigned int *defaultLimit))                                  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetPowerManagementLimitConstraints,                         \
	  (vgpu_nvmlDevice_t device, unsigned int *minLimit, unsigned int *maxLimit))              \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetEnforcedPowerLimit, (vgpu_nvmlDevice_t device, unsigned int *limit)) \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetClockInfo,                                               \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlClockType_t type, unsigned int *clock))              \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetMaxClockInfo,                                            \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlClockType_t type, unsigned int *clock))              \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetFanSpeed, (vgpu_nvmlDevice_t device, unsigned int *speed)) \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetFanSpeed_v2,                                             \
	  (vgpu_nvmlDevice_t device, unsigned int fan, unsigned int *speed))                       \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetNumFans, (vgpu_nvmlDevice_t device, unsigned int *numFans)) \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetPerformanceState,                                        \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlPstates_t *pState))                                  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetEncoderUtilization,                                      \
	  (vgpu_nvmlDevice_t device, unsigned int *utilization, unsigned int *samplingPeriodUs))   \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetDecoderUtilization,                                      \
	  (vgpu_nvmlDevice_t device, unsigned int *utilization, unsigned int *samplingPeriodUs))   \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetP2PStatus,                                               \
	  (vgpu_nvmlDevice_t device1, vgpu_nvmlDevice_t device2, vgpu_nvmlGpuP2PCapsIndex_t p2pIndex, \
	   vgpu_nvmlGpuP2PStatus_t *p2pStatus))                                                     \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetMaxPcieLinkGeneration,                                   \
	  (vgpu_nvmlDevice_t device, unsigned int *maxLinkGen))                                    \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetGpuMaxPcieLinkGeneration,                                \
	  (vgpu_nvmlDevice_t device, unsigned int *maxLinkGenDevice))                              \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetMaxPcieLinkWidth,                                        \
	  (vgpu_nvmlDevice_t device, unsigned int *maxLinkWidth))                                  \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetCurrPcieLinkGeneration,                                  \
	  (vgpu_nvmlDevice_t device, unsigned int *currLinkGen))                                   \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetCurrPcieLinkWidth,                                       \
	  (vgpu_nvmlDevice_t device, unsigned int *currLinkWidth))                                 \
	X(vgpu_nvmlReturn_t, nvmlDeviceGetPcieThroughput,                                          \
	  (vgpu_nvmlDevice_t device, vgpu_nvmlPcieUtilCounter_t counter, unsigned int *value))

/* typedef ... (*vgpu_pfn_<name>)(...); one per entry point. */
#define VGPU_NVML_PFN_TYPEDEF(ret, name, params) typedef ret(*vgpu_pfn_##name) params;
VGPU_NVML_ENTRY_POINTS(VGPU_NVML_PFN_TYPEDEF)
#undef VGPU_NVML_PFN_TYPEDEF

#ifdef VGPU_NVML_DECLARE_PROTOTYPES
#define VGPU_NVML_PROTOTYPE(ret, name, params) ret name params;
VGPU_NVML_ENTRY_POINTS(VGPU_NVML_PROTOTYPE)
#undef VGPU_NVML_PROTOTYPE
#endif

/* ---- layout checks (x86-64 / aarch64 LP64) ----------------------------- */
#if defined(__LP64__)
_Static_assert(sizeof(vgpu_nvmlReturn_t) == 4, "nvmlReturn_t is 4 bytes");
_Static_assert(sizeof(vgpu_nvmlMemory_t) == 24, "nvmlMemory_t layout");
_Static_assert(sizeof(vgpu_nvmlMemory_v2_t) == 40, "nvmlMemory_v2_t layout");
_Static_assert(offsetof(vgpu_nvmlMemory_v2_t, total) == 8, "nvmlMemory_v2_t.total offset");
_Static_assert(VGPU_NVML_MEMORY_V2 == 0x02000028u, "nvmlMemory_v2 version value");
_Static_assert(sizeof(vgpu_nvmlPciInfo_t) == 68, "nvmlPciInfo_t layout");
_Static_assert(offsetof(vgpu_nvmlPciInfo_t, busId) == 36, "nvmlPciInfo_t.busId offset");
_Static_assert(sizeof(vgpu_nvmlProcessInfo_t) == 24, "nvmlProcessInfo_v2_t layout");
_Static_assert(offsetof(vgpu_nvmlProcessInfo_t, usedGpuMemory) == 8, "usedGpuMemory offset");
_Static_assert(sizeof(vgpu_nvmlGpuFabricInfoV_t) == 40, "nvmlGpuFabricInfo_v3_t layout");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfoV_t, status) == 20, "fabric status offset");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfoV_t, cliqueId) == 24, "fabric cliqueId offset");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfoV_t, state) == 28, "fabric state offset");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfoV_t, healthMask) == 32, "fabric healthMask offset");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfoV_t, healthSummary) == 36, "healthSummary offset");
_Static_assert(VGPU_NVML_GPU_FABRIC_INFO_V3 == 0x03000028u, "nvmlGpuFabricInfo_v3 version value");
_Static_assert(sizeof(vgpu_nvmlGpuFabricInfo_t) == 28, "nvmlGpuFabricInfo_t layout");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfo_t, status) == 16, "v1 fabric status offset");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfo_t, cliqueId) == 20, "v1 fabric cliqueId offset");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfo_t, state) == 24, "v1 fabric state offset");
_Static_assert(sizeof(vgpu_nvmlGpuFabricInfo_v2_t) == 36, "nvmlGpuFabricInfo_v2_t layout");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfo_v2_t, healthMask) == 32, "v2 fabric healthMask offset");
_Static_assert(VGPU_NVML_GPU_FABRIC_INFO_V2 == 0x02000024u, "nvmlGpuFabricInfo_v2 version value");
_Static_assert(sizeof(vgpu_nvmlGpuFabricClique_v1_t) == 8, "nvmlGpuFabricClique_v1_t layout");
_Static_assert(offsetof(vgpu_nvmlGpuFabricClique_v1_t, id) == 4, "fabric clique id offset");
_Static_assert(sizeof(vgpu_nvmlGpuFabricInfo_v4_t) == 548, "nvmlGpuFabricInfo_v4_t layout");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfo_v4_t, status) == 16, "v4 fabric status offset");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfo_v4_t, cliques) == 20, "v4 fabric cliques offset");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfo_v4_t, numCliques) == 532, "v4 numCliques offset");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfo_v4_t, state) == 536, "v4 fabric state offset");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfo_v4_t, healthMask) == 540, "v4 healthMask offset");
_Static_assert(offsetof(vgpu_nvmlGpuFabricInfo_v4_t, healthSummary) == 544, "v4 healthSummary offset");
_Static_assert(sizeof(vgpu_nvmlUtilization_t) == 8, "nvmlUtilization_t layout");
_Static_assert(sizeof(vgpu_nvmlProcessInfo_v1_t) == 16, "nvmlProcessInfo_v1_t layout");
_Static_assert(sizeof(vgpu_nvmlProcessUtilizationSample_t) == 32, "nvmlProcessUtilizationSample_t layout");
_Static_assert(offsetof(vgpu_nvmlProcessUtilizationSample_t, timeStamp) == 8, "sample timeStamp offset");
_Static_assert(offsetof(vgpu_nvmlProcessUtilizationSample_t, smUtil) == 16, "sample smUtil offset");
_Static_assert(offsetof(vgpu_nvmlProcessUtilizationSample_t, decUtil) == 28, "sample decUtil offset");
_Static_assert(sizeof(vgpu_nvmlPstates_t) == 4, "nvmlPstates_t is 4 bytes");
_Static_assert(sizeof(vgpu_nvmlPcieUtilCounter_t) == 4, "nvmlPcieUtilCounter_t is 4 bytes");
#endif

#endif
