## mk/plugins.mk: the Slurm plugins (SPANK launcher, admission) and their tests.
