# AX_VGPU_C11: require a C11 compiler and use -std=gnu11.
AC_DEFUN([AX_VGPU_C11], [
  AC_MSG_CHECKING([whether $CC accepts -std=gnu11])
  save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS -std=gnu11"
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[_Static_assert(1, "c11");]], [[]])],
    [AC_MSG_RESULT([yes])], [AC_MSG_RESULT([no]); AC_MSG_ERROR([a C11 compiler is required])])
])

# AX_PTHREAD_SIMPLE: POSIX threads with -pthread (glibc).
AC_DEFUN([AX_PTHREAD_SIMPLE], [
  PTHREAD_CFLAGS=-pthread
  PTHREAD_LIBS=-pthread
  AC_SUBST([PTHREAD_CFLAGS])
  AC_SUBST([PTHREAD_LIBS])
])
