## mk/e2e.mk: the developer cluster (real slurmctld/slurmd on simulated GPU nodes) and end-to-end tests.
##
## tools/vgpu-devcluster starts a Slurm 22.05 cluster on this machine, one
## slurmd per simulated GPU node (doc/devcluster.md). The tests under
## tests/e2e/ each start their own devcluster (unique name, own ports),
## tear it down in a trap, and skip when not root or when Slurm's daemons
## are not installed. tests/e2e/gpuinfo is the program they run as a job.

EXTRA_DIST += tools/vgpu-devcluster tools/vgpu-chroot tests/e2e/lib.sh
# `make bench` (mk/shim.mk) runs it: srun latency and sbatch throughput of a
# devcluster without and with the plugins.
EXTRA_DIST += bench/slurm.sh bench/slurm-releases.sh
dist_doc_DATA += doc/devcluster.md
# `make bench-placement` (mk/shim.mk): NVLink placement against stock Slurm.
EXTRA_DIST += bench/placement.sh bench/placement.py
# Its figures on hand-worked job records (no daemons).
TESTS += tests/sh/0340-placement-analyse.sh
EXTRA_DIST += tests/sh/0340-placement-analyse.sh
dist_doc_DATA += doc/nvlink-bench.md

check_PROGRAMS += tests/e2e/gpuinfo
tests_e2e_gpuinfo_SOURCES = tests/e2e/gpuinfo.c

E2E_TESTS = \
	tests/e2e/0010-devcluster.sh \
	tests/e2e/0015-devcluster-release.sh \
	tests/e2e/0020-shard-fill.sh \
	tests/e2e/0030-gpu-vs-shard.sh \
	tests/e2e/0040-step-env.sh \
	tests/e2e/0050-gpuinfo.sh \
	tests/e2e/0230-second-user.sh \
	tests/e2e/0240-slurmd-restart.sh \
	tests/e2e/0300-devcluster-partitions.sh
if SIMULATOR
TESTS += $(E2E_TESTS)
endif
EXTRA_DIST += $(E2E_TESTS)

# The plugins against the Slurm release they run under: 0290
# SelectTypeParameters=MULTIPLE_SHARING_GRES_PJ (23.11+; skipped before),
# 0295 plugins built for another release (skipped unless
# VGPU_OTHER_RELEASE_BUILD names a build against another release's headers).
RELEASE_E2E_TESTS = \
	tests/e2e/0290-multi-sharing.sh \
	tests/e2e/0295-other-release.sh
if SIMULATOR
TESTS += $(RELEASE_E2E_TESTS)
endif
EXTRA_DIST += $(RELEASE_E2E_TESTS)
