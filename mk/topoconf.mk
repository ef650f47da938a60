## mk/topoconf.mk: Slurm configuration from the clique map (topology.conf per release, Features, partitions, Links=); TOPO_FUZZ_BINS.
