## mk/nvlink.mk: the clique map (vgpu_cliquemap, vgpu_hostlist, vgpu_jsonl), vgpu cliquemap; NVLINK_FUZZ_BINS.
