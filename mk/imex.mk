## mk/imex.mk: per-job IMEX: prolog/epilog, the stand-in nvidia-imex; IMEX_FUZZ_BINS.
##
## src/imex/vgpu-imex.sh is one script installed under two names in
## $(pkglibexecdir): vgpu-imex-prolog and vgpu-imex-epilog (Slurm's Prolog=
## and Epilog=; the name picks the role). sim/nvidia-imex.sh is the
## devcluster's stand-in IMEX daemon and control tool, built as
## sim/nvidia-imex and sim/nvidia-imex-ctl and installed beside the
## simulated driver in $(pkglibdir)/sim (doc/imex.md). The scripts hold no
## parser in C, so there is no fuzz target: their setting reader is tested
## by tests/sh/0330-imex-scripts.sh.

IMEX_FUZZ_BINS =

pkglibexec_SCRIPTS = src/imex/vgpu-imex-prolog src/imex/vgpu-imex-epilog
if SIMULATOR
sim_SCRIPTS = sim/nvidia-imex sim/nvidia-imex-ctl
endif
CLEANFILES += $(pkglibexec_SCRIPTS) sim/nvidia-imex sim/nvidia-imex-ctl
EXTRA_DIST += src/imex/vgpu-imex.sh sim/nvidia-imex.sh
dist_doc_DATA += doc/imex.md etc/vgpu-imex.conf.example
dist_man_MANS += doc/vgpu-imex.conf.5

src/imex/vgpu-imex-prolog src/imex/vgpu-imex-epilog: $(srcdir)/src/imex/vgpu-imex.sh
	$(AM_V_GEN)$(MKDIR_P) src/imex && cp $(srcdir)/src/imex/vgpu-imex.sh $@.tmp && chmod 755 $@.tmp && mv -f $@.tmp $@
sim/nvidia-imex sim/nvidia-imex-ctl: $(srcdir)/sim/nvidia-imex.sh
	$(AM_V_GEN)$(MKDIR_P) sim && cp $(srcdir)/sim/nvidia-imex.sh $@.tmp && chmod 755 $@.tmp && mv -f $@.tmp $@

# The scripts without Slurm (any user): settings, addresses, save and
# restore, the stand-in's peer check. On real daemons (root): 0330.
IMEX_SH_TESTS = tests/sh/0330-imex-scripts.sh
IMEX_E2E_TESTS = tests/e2e/0330-imex.sh
# Both run the stand-in nvidia-imex (sim/).
if SIMULATOR
TESTS += $(IMEX_SH_TESTS) $(IMEX_E2E_TESTS)
endif
EXTRA_DIST += $(IMEX_SH_TESTS) $(IMEX_E2E_TESTS)
