## mk/show.mk: vgpu show (reads the controller through libslurm) and its tests.
