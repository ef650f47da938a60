## mk/nvlink.mk: the clique map (vgpu_cliquemap, vgpu_hostlist, vgpu_jsonl), vgpu cliquemap; NVLINK_FUZZ_BINS.

libvgpucore_la_SOURCES += \
	src/lib/vgpu_hostlist.c \
	src/lib/vgpu_hostlist.h \
	src/lib/vgpu_jsonl.c \
	src/lib/vgpu_jsonl.h

check_PROGRAMS += tests/unit/test_hostlist
TESTS += tests/unit/test_hostlist
tests_unit_test_hostlist_SOURCES = tests/unit/test_hostlist.c tests/unit/vgpu_test.h
tests_unit_test_hostlist_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hostlist_LDADD = $(UNIT_LDADD)

libvgpucore_la_SOURCES += \
	src/lib/vgpu_cliquemap.c \
	src/lib/vgpu_cliquemap_build.c \
	src/lib/vgpu_cliquemap.h

check_PROGRAMS += tests/unit/test_jsonl tests/unit/test_cliquemap
TESTS += tests/unit/test_jsonl tests/unit/test_cliquemap
tests_unit_test_jsonl_SOURCES = tests/unit/test_jsonl.c tests/unit/vgpu_test.h
tests_unit_test_jsonl_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jsonl_LDADD = $(UNIT_LDADD)
tests_unit_test_cliquemap_SOURCES = tests/unit/test_cliquemap.c tests/unit/vgpu_test.h
tests_unit_test_cliquemap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cliquemap_LDADD = $(UNIT_LDADD)

vgpu_SOURCES += src/cli/cmd_cliquemap.c
TESTS += tests/sh/0300-cliquemap.sh
EXTRA_DIST += tests/sh/0300-cliquemap.sh

## Fuzz targets of the hostlist, JSON-with-lines and clique map readers;
## `make check` replays their seed corpora (tests/fuzz/corpus/NAME/).
check_PROGRAMS += tests/fuzz/replay_hostlist tests/fuzz/replay_jsonl tests/fuzz/replay_cliquemap
TESTS += tests/fuzz/replay_hostlist tests/fuzz/replay_jsonl tests/fuzz/replay_cliquemap
tests_fuzz_replay_hostlist_SOURCES = tests/fuzz/fuzz_hostlist.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_hostlist_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"hostlist"'
tests_fuzz_replay_hostlist_LDADD = libvgpucore.la
tests_fuzz_replay_jsonl_SOURCES = tests/fuzz/fuzz_jsonl.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_jsonl_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"jsonl"'
tests_fuzz_replay_jsonl_LDADD = libvgpucore.la
tests_fuzz_replay_cliquemap_SOURCES = tests/fuzz/fuzz_cliquemap.c $(FUZZ_REPLAY_SRC)
tests_fuzz_replay_cliquemap_CPPFLAGS = $(AM_CPPFLAGS) -DVGPU_FUZZ_CORPUS='"cliquemap"'
tests_fuzz_replay_cliquemap_LDADD = libvgpucore.la

## Their libFuzzer binaries (mk/tests.mk's print-fuzz-bins lists them).
NVLINK_FUZZ_BINS = fuzz/hostlist fuzz/jsonl fuzz/cliquemap
if FUZZING
noinst_PROGRAMS += $(NVLINK_FUZZ_BINS)
fuzz_hostlist_SOURCES = tests/fuzz/fuzz_hostlist.c
fuzz_hostlist_LDADD = libvgpucore.la
fuzz_hostlist_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_jsonl_SOURCES = tests/fuzz/fuzz_jsonl.c
fuzz_jsonl_LDADD = libvgpucore.la
fuzz_jsonl_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_cliquemap_SOURCES = tests/fuzz/fuzz_cliquemap.c
fuzz_cliquemap_LDADD = libvgpucore.la
fuzz_cliquemap_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif

dist_man_MANS += doc/cliquemap.5
dist_doc_DATA += doc/cliquemap.md
