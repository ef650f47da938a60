## mk/packaging.mk: the Debian packaging (debian/), the RPM spec and the
## package configuration files (packaging/), and their tests (tests/pkg/,
## run by tools/check.sh's pkg suite, not by make check: they build the
## packages and start Slurm daemons in a chroot). doc/install.md "Packages".
## Listed so that a release tarball carries them (dpkg-buildpackage and
## rpmbuild -ta work from it).
EXTRA_DIST += \
	debian/README.Debian \
	debian/changelog \
	debian/control \
	debian/copyright \
	debian/rules \
	debian/slurm-vgpu-sim.README.Debian \
	debian/slurm-vgpu.examples \
	debian/slurm-vgpu.install \
	debian/source/format \
	packaging/conf/plugstack.conf.d/vgpu.conf \
	packaging/conf/slurm.conf.vgpu \
	packaging/conf/vgpu.conf \
	packaging/rpm/slurm-vgpu.spec \
	tests/pkg/inchroot.sh \
	tests/pkg/install.sh \
	tests/pkg/rpm.sh
