#!/usr/bin/env python3
"""nvmlclient.py - a small gpustat-like NVML client for tests/e2e/0360.

It loads libnvidia-ml.so.1 with ctypes from the library path, as pynvml
does, and calls NVML the way pynvml 11.5 does: nvmlInit_v2,
nvmlSystemGetDriverVersion, nvmlDeviceGetCount_v2,
nvmlDeviceGetHandleByIndex_v2, then per GPU its name and UUID, memory
(nvmlDeviceGetMemoryInfo with the v1 struct and nvmlDeviceGetMemoryInfo_v2
with the versioned v2 struct), nvmlDeviceGetUtilizationRates, the compute
process list (nvmlDeviceGetComputeRunningProcesses_v3, asked for its count
first; the bare name with the 16-byte v1 struct as well),
nvmlDeviceGetProcessUtilization, the GPU temperature, power draw and
enforced limit, and the graphics, SM and memory clocks (current and max).

Prints one JSON object on stdout. Every figure is given with its NVML
return code ("rc"), so a test sees NOT_SUPPORTED and the like instead of a
missing key. Exit status: 0 when nvmlInit_v2 succeeded, 1 when the library
could not be loaded or initialised (the reason on stderr).

Struct layouts are NVIDIA's (nvml.h), written here from the documentation.
"""
import ctypes
import json
import sys

SUCCESS = 0
INSUFFICIENT_SIZE = 7


class Memory(ctypes.Structure):  # nvmlMemory_t
    _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]


class MemoryV2(ctypes.Structure):  # nvmlMemory_v2_t
    _fields_ = [("version", ctypes.c_uint), ("total", ctypes.c_ulonglong), ("reserved", ctypes.c_ulonglong),
                ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]


class Utilization(ctypes.Structure):  # nvmlUtilization_t
    _fields_ = [("gpu", ctypes.c_uint), ("memory", ctypes.c_uint)]


class ProcessV1(ctypes.Structure):  # nvmlProcessInfo_v1_t
    _fields_ = [("pid", ctypes.c_uint), ("usedGpuMemory", ctypes.c_ulonglong)]


class Process(ctypes.Structure):  # nvmlProcessInfo_t (v2 = v3 layout)
    _fields_ = [("pid", ctypes.c_uint), ("usedGpuMemory", ctypes.c_ulonglong), ("gpuInstanceId", ctypes.c_uint),
                ("computeInstanceId", ctypes.c_uint)]


class Sample(ctypes.Structure):  # nvmlProcessUtilizationSample_t
    _fields_ = [("pid", ctypes.c_uint), ("timeStamp", ctypes.c_ulonglong), ("smUtil", ctypes.c_uint),
                ("memUtil", ctypes.c_uint), ("encUtil", ctypes.c_uint), ("decUtil", ctypes.c_uint)]


MEMORY_V2 = ctypes.sizeof(MemoryV2) | (2 << 24)  # nvmlMemory_v2 = NVML_STRUCT_VERSION(Memory, 2)
TEMPERATURE_GPU = 0
CLOCKS = {"graphics": 0, "sm": 1, "mem": 2}
NOT_AVAILABLE = 0xFFFFFFFFFFFFFFFF  # usedGpuMemory NVML_VALUE_NOT_AVAILABLE


def load():
    try:
        return ctypes.CDLL("libnvidia-ml.so.1")
    except OSError as e:
        sys.stderr.write("nvmlclient: cannot load libnvidia-ml.so.1: %s\n" % e)
        sys.exit(1)


nv = load()


def call(name, *args):
    """Call NVML entry point NAME; its return code, or -1 when the library
    does not export it."""
    fn = getattr(nv, name, None)
    if fn is None:
        return -1
    fn.restype = ctypes.c_int
    return fn(*args)


def err(rc):
    if rc == -1:
        return "not exported"
    nv.nvmlErrorString.restype = ctypes.c_char_p
    return nv.nvmlErrorString(rc).decode(errors="replace")


def uint(name, dev, *args):
    v = ctypes.c_uint(0)
    rc = call(name, dev, *args, ctypes.byref(v))
    return {"rc": rc, "value": v.value if rc == SUCCESS else None}


def processes(dev, name, cls):
    """A process list the way pynvml reads one: ask for the count with a NULL
    buffer, then fetch with room for twice as many (processes come and go)."""
    n = ctypes.c_uint(0)
    rc = call(name, dev, ctypes.byref(n), None)
    if rc == SUCCESS:
        return {"rc": rc, "list": []}
    if rc != INSUFFICIENT_SIZE:
        return {"rc": rc, "list": None}
    n.value = n.value * 2 + 5
    buf = (cls * n.value)()
    rc = call(name, dev, ctypes.byref(n), buf)
    if rc != SUCCESS:
        return {"rc": rc, "list": None}
    return {"rc": rc, "list": [{"pid": buf[i].pid,
                                "used": None if buf[i].usedGpuMemory == NOT_AVAILABLE else buf[i].usedGpuMemory}
                               for i in range(n.value)]}


def samples(dev):
    n = ctypes.c_uint(0)
    rc = call("nvmlDeviceGetProcessUtilization", dev, None, ctypes.byref(n), ctypes.c_ulonglong(0))
    if rc == INSUFFICIENT_SIZE:
        buf = (Sample * max(n.value, 1))()
        rc = call("nvmlDeviceGetProcessUtilization", dev, buf, ctypes.byref(n), ctypes.c_ulonglong(0))
        if rc == SUCCESS:
            return {"rc": rc, "list": [{"pid": buf[i].pid, "sm": buf[i].smUtil, "mem": buf[i].memUtil}
                                       for i in range(n.value)]}
    return {"rc": rc, "list": None}


def gpu(i):
    dev = ctypes.c_void_p()
    rc = call("nvmlDeviceGetHandleByIndex_v2", ctypes.c_uint(i), ctypes.byref(dev))
    if rc != SUCCESS:
        return {"index": i, "rc": rc, "error": err(rc)}
    name = ctypes.create_string_buffer(96)
    uuid = ctypes.create_string_buffer(96)
    out = {"index": i, "rc": rc}
    out["name"] = name.value.decode() if call("nvmlDeviceGetName", dev, name, 96) == SUCCESS else None
    out["uuid"] = uuid.value.decode() if call("nvmlDeviceGetUUID", dev, uuid, 96) == SUCCESS else None
    m1 = Memory()
    rc = call("nvmlDeviceGetMemoryInfo", dev, ctypes.byref(m1))
    out["memory"] = {"rc": rc, "total": m1.total, "free": m1.free, "used": m1.used}
    m2 = MemoryV2(version=MEMORY_V2)
    rc = call("nvmlDeviceGetMemoryInfo_v2", dev, ctypes.byref(m2))
    out["memory_v2"] = {"rc": rc, "total": m2.total, "reserved": m2.reserved, "free": m2.free, "used": m2.used}
    u = Utilization()
    rc = call("nvmlDeviceGetUtilizationRates", dev, ctypes.byref(u))
    out["utilization"] = {"rc": rc, "gpu": u.gpu if rc == SUCCESS else None,
                          "memory": u.memory if rc == SUCCESS else None}
    out["processes"] = processes(dev, "nvmlDeviceGetComputeRunningProcesses_v3", Process)
    out["processes_v1"] = processes(dev, "nvmlDeviceGetComputeRunningProcesses", ProcessV1)
    out["samples"] = samples(dev)
    out["temperature"] = uint("nvmlDeviceGetTemperature", dev, ctypes.c_int(TEMPERATURE_GPU))
    out["power_mw"] = uint("nvmlDeviceGetPowerUsage", dev)
    out["power_limit_mw"] = uint("nvmlDeviceGetEnforcedPowerLimit", dev)
    out["clocks"] = {k: uint("nvmlDeviceGetClockInfo", dev, ctypes.c_int(v)) for k, v in CLOCKS.items()}
    out["max_clocks"] = {k: uint("nvmlDeviceGetMaxClockInfo", dev, ctypes.c_int(v)) for k, v in CLOCKS.items()}
    return out


def main():
    rc = call("nvmlInit_v2")
    if rc != SUCCESS:
        sys.stderr.write("nvmlclient: nvmlInit_v2: %d (%s)\n" % (rc, err(rc)))
        return 1
    drv = ctypes.create_string_buffer(96)
    res = {"driver": drv.value.decode() if call("nvmlSystemGetDriverVersion", drv, 96) == SUCCESS else None}
    n = ctypes.c_uint(0)
    rc = call("nvmlDeviceGetCount_v2", ctypes.byref(n))
    res["count"] = {"rc": rc, "value": n.value}
    res["gpus"] = [gpu(i) for i in range(n.value if rc == SUCCESS else 0)]
    res["shutdown"] = call("nvmlShutdown")
    json.dump(res, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
