## mk/place.mk: NVLink placement (vgpu_place) and its job_submit use; PLACE_FUZZ_BINS.
