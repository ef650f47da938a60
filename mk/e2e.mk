## mk/e2e.mk: the developer cluster (real slurmctld/slurmd on simulated GPU nodes) and end-to-end tests.
