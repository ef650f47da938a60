## mk/imex.mk: per-job IMEX: prolog/epilog, the stand-in nvidia-imex; IMEX_FUZZ_BINS.
