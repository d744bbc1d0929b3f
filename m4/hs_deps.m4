# hs_deps.m4 — headsweep's own configure helpers.

# HS_REQUIRE_PKG(VAR, MODULE, DEBIAN-PACKAGE)
# pkg-config lookup that stops configure naming the Debian package to install.
AC_DEFUN([HS_REQUIRE_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([pkg-config module $2 not found: install the Debian package $3])])
])

# HS_REQUIRE_LINK(FUNCTION, CFLAGS, LIBS, DEBIAN-PACKAGE)
# Checks that FUNCTION links with the given flags (pkg-config can be stale).
AC_DEFUN([HS_REQUIRE_LINK], [
  hs_save_CFLAGS="$CFLAGS"; hs_save_LIBS="$LIBS"
  CFLAGS="$CFLAGS $2"; LIBS="$3 $LIBS"
  AC_MSG_CHECKING([whether $1 links])
  AC_LINK_IFELSE([AC_LANG_CALL([], [$1])], [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no]); AC_MSG_ERROR([cannot link $1: install the Debian package $4])])
  CFLAGS="$hs_save_CFLAGS"; LIBS="$hs_save_LIBS"
])

# HS_CHECK_FLAG(FLAGS, ACTION-IF-OK, ACTION-IF-NOT)
# Whether the C compiler compiles and links a program with FLAGS.
AC_DEFUN([HS_CHECK_FLAG], [
  hs_save_CFLAGS="$CFLAGS"; hs_save_LDFLAGS="$LDFLAGS"
  CFLAGS="$CFLAGS $1"; LDFLAGS="$LDFLAGS $1"
  AC_MSG_CHECKING([whether $CC accepts $1])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])], [AC_MSG_RESULT([yes]); $2], [AC_MSG_RESULT([no]); $3])
  CFLAGS="$hs_save_CFLAGS"; LDFLAGS="$hs_save_LDFLAGS"
])
