#!/bin/sh
# The checked-in export lists the shim and the simulator are built from
# (src/include/vgpu_cuda_exports.def, src/shim/nvml_exports.def) against
# their sources: regenerated from the CUDA toolkit where it is installed,
# and checked for shape everywhere; the built shim exports every name.
. "$VGPU_SRCDIR/tests/sh/tap.sh"
plan 7
list=$VGPU_SRCDIR/src/include/vgpu_cuda_exports.def
nvml=$VGPU_SRCDIR/src/shim/nvml_exports.def
shim=$VGPU_BUILDDIR/src/shim/.libs/libcuda.so.1
cuda=${VGPU_CUDA_DIR:-/usr/local/cuda}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -r "$cuda/include/cudaTypedefs.h" ] && [ -r "$cuda/lib64/stubs/libcuda.so" ]; then
	if sh "$VGPU_SRCDIR/tools/gen-cuda-exports.sh" "$cuda" > "$tmp/cuda.def" 2> "$tmp/err"; then
		if cmp -s "$tmp/cuda.def" "$list"; then
			pass "the CUDA export list matches $cuda"
		else
			fail "the CUDA export list differs from what $cuda gives (run tools/gen-cuda-exports.sh)"
			diag "$(diff "$list" "$tmp/cuda.def" | head -20)"
		fi
	else
		fail "tools/gen-cuda-exports.sh $cuda"
		diag "$(cat "$tmp/err")"
	fi
else
	skip "the CUDA export list matches the toolkit" "no CUDA toolkit with the stub libcuda.so at $cuda"
fi
bad=$(grep -v '^/\*\|^ \*' "$list" | grep -cvE '^X\(cu[A-Za-z0-9_]+, cu[A-Za-z0-9_]+, [0-9]+, (_ptds|_ptsz)?\)$')
is "$bad" 0 "every CUDA list line is X(symbol, base, version, suffix)"
n=$(grep -c '^X(' "$list")
[ "$n" -ge 600 ] && pass "the CUDA list has $n entry points" || fail "the CUDA list has only $n entry points"
bad=$(grep -v '^/\*\|^ \*' "$nvml" | grep -cvE '^X\(nvml[A-Za-z0-9_]+\)$')
is "$bad" 0 "every NVML list line is X(name)"
if [ -r "$shim" ]; then
	nm -D --defined-only "$shim" | awk '{ print $3 }' | sort -u > "$tmp/exported"
	{ sed -n 's/^X(\([A-Za-z0-9_]*\).*/\1/p' "$list" "$nvml"; printf '%s\n' dlopen dlmopen dlsym dlvsym dlerror; } | sort -u > "$tmp/listed"
	is "$(comm -3 "$tmp/exported" "$tmp/listed" | tr -d '\t' | tr '\n' ' ')" "" "the shim exports exactly the listed names and its loader wrappers"
	is "$(readelf -d "$shim" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" "libcuda.so.1" "the shim's soname is libcuda.so.1"
else
	skip "the shim exports the lists" "$shim not built"
	skip "the shim's soname" "$shim not built"
fi
# The aarch64 (Grace) stubs cannot run here; they must at least assemble.
if command -v clang >/dev/null 2>&1 &&
	echo 'int x;' | clang --target=aarch64-linux-gnu -ffreestanding -x c -c -o /dev/null - 2>/dev/null; then
	ok "the stubs assemble for aarch64" clang --target=aarch64-linux-gnu -ffreestanding -fPIC -O2 \
		-I"$VGPU_SRCDIR/src/include" -I"$VGPU_SRCDIR/src/lib" -I"$VGPU_SRCDIR/src/shim" \
		-c "$VGPU_SRCDIR/src/shim/shim_stubs.c" -o "$tmp/stubs-aarch64.o"
else
	skip "the stubs assemble for aarch64" "no clang with an aarch64 target"
fi
done_testing
