## mk/hygiene.mk: build hygiene: the hardening check of the built files
## (configure.ac's --enable-hardening) and the style check of changed lines
## (.clang-format, .clang-tidy, tools/format-check.sh). doc/developers.md,
## "Build hygiene".

TESTS += tests/sh/0400-hardening.sh tests/sh/0420-format-check.sh
EXTRA_DIST += tests/sh/0400-hardening.sh tests/sh/0420-format-check.sh \
	.clang-format .clang-tidy tools/format-check.sh tools/format-baseline
