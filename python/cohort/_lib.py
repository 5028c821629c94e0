"""libcohort through ctypes: the structures and prototypes of cohort.h.

This module only mirrors include/cohort.h; it holds no protocol of its
own.  The library is loaded on first use, from $COHORT_LIBRARY when that
is set (a path, such as a build tree's src/.libs/libcohort.so.0), else as
libcohort.so.0 through the dynamic linker's search path.
"""

from __future__ import annotations

import ctypes
import os
import threading
from typing import Any, Optional

SONAME = "libcohort.so.0"

# cohort.h constants.
ID_MAX = 63
ADDR_MAX = 255
SELF = 0x01

# enum cohort_status
OK = 0
ERR_SYS = -1
ERR_CONNECT = -2
ERR_PROTO = -3
ERR_CLOSED = -4
ERR_TIMEOUT = -5
ERR_REFUSED = -6
ERR_INVAL = -7
ERR_NOMEM = -8
ERR_UNREACHABLE = -9
ERR_NO_RESPONDER = -10
ERR_TOO_BIG = -11


class CohortMember(ctypes.Structure):
    """struct cohort_member."""

    _fields_ = [
        ("id", ctypes.c_char * (ID_MAX + 1)),
        ("address", ctypes.c_char * (ADDR_MAX + 1)),
        ("port", ctypes.c_uint16),
        ("state", ctypes.c_int),
        ("rtt_us", ctypes.c_uint64),
        ("incarnation", ctypes.c_uint64),
        ("since_ms", ctypes.c_uint64),
    ]


class CohortEvent(ctypes.Structure):
    """struct cohort_event."""

    _fields_ = [
        ("node", ctypes.c_char * (ID_MAX + 1)),
        ("state", ctypes.c_int),
        ("prev_state", ctypes.c_int),
        ("incarnation", ctypes.c_uint64),
        ("time_ms", ctypes.c_uint64),
    ]


class CohortStat(ctypes.Structure):
    """struct cohort_stat."""

    _fields_ = [
        ("section", ctypes.c_char * (ID_MAX + 1)),
        ("name", ctypes.c_char * (ID_MAX + 1)),
        ("key", ctypes.c_char * (ID_MAX + 1)),
        ("value", ctypes.c_uint64),
    ]


class CohortMsg(ctypes.Structure):
    """struct cohort_msg."""

    _fields_ = [
        ("origin", ctypes.c_char_p),
        ("subject", ctypes.c_char_p),
        ("data", ctypes.c_void_p),
        ("len", ctypes.c_size_t),
        ("is_request", ctypes.c_int),
        ("token", ctypes.c_uint64),
    ]


class CohortUnreached(ctypes.Structure):
    """struct cohort_unreached."""

    _fields_ = [
        ("node", ctypes.c_char * (ID_MAX + 1)),
        ("status", ctypes.c_int),
        ("reason", ctypes.c_char_p),
    ]


# The handle, struct cohort *, is opaque: a void pointer here.
Handle = ctypes.c_void_p

# typedef void (*cohort_reply_cb)(struct cohort *, int,
#     const struct cohort_msg *, void *);
REPLY_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int,
                            ctypes.POINTER(CohortMsg), ctypes.c_void_p)
# typedef void (*cohort_error_cb)(struct cohort *, int, const char *, void *);
ERROR_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int,
                            ctypes.c_char_p, ctypes.c_void_p)

_c_int = ctypes.c_int
_c_size = ctypes.c_size_t
_c_str = ctypes.c_char_p
_c_ptr = ctypes.c_void_p

# name: (restype, argtypes), as cohort.h declares them.
_PROTOTYPES = {
    "cohort_open": (_c_int, [ctypes.POINTER(Handle), _c_str, _c_int]),
    "cohort_close": (None, [Handle]),
    "cohort_errmsg": (_c_str, [Handle]),
    "cohort_strerror": (_c_str, [_c_int]),
    "cohort_state_name": (_c_str, [_c_int]),
    "cohort_node_id": (_c_str, [Handle]),
    "cohort_cluster": (_c_str, [Handle]),
    "cohort_incarnation": (ctypes.c_uint64, [Handle]),
    "cohort_members": (_c_int, [Handle, ctypes.POINTER(
        ctypes.POINTER(CohortMember)), ctypes.POINTER(_c_size), _c_int]),
    "cohort_members_free": (None, [ctypes.POINTER(CohortMember)]),
    "cohort_stats": (_c_int, [Handle, ctypes.POINTER(
        ctypes.POINTER(CohortStat)), ctypes.POINTER(_c_size), _c_int]),
    "cohort_stats_free": (None, [ctypes.POINTER(CohortStat)]),
    "cohort_reload": (_c_int, [Handle, _c_int]),
    "cohort_log_level": (_c_int, [Handle, _c_int, _c_int]),
    "cohort_watch": (_c_int, [Handle, _c_int, _c_int]),
    "cohort_next_event": (_c_int, [Handle, ctypes.POINTER(CohortEvent),
                                   _c_int]),
    "cohort_subscribe": (_c_int, [Handle, _c_str, _c_int]),
    "cohort_unsubscribe": (_c_int, [Handle, _c_str, _c_int]),
    "cohort_send": (_c_int, [Handle, _c_str, _c_str, _c_ptr, _c_size,
                             _c_int]),
    "cohort_multicast": (_c_int, [Handle, ctypes.POINTER(_c_str), _c_size,
                                  _c_str, _c_ptr, _c_size,
                                  ctypes.POINTER(ctypes.POINTER(
                                      CohortUnreached)),
                                  ctypes.POINTER(_c_size), _c_int]),
    "cohort_broadcast": (_c_int, [Handle, _c_int, _c_str, _c_ptr, _c_size,
                                  ctypes.POINTER(ctypes.POINTER(
                                      CohortUnreached)),
                                  ctypes.POINTER(_c_size), _c_int]),
    "cohort_publish": (_c_int, [Handle, _c_str, _c_str, _c_ptr, _c_size]),
    "cohort_publish_all": (_c_int, [Handle, _c_int, _c_str, _c_ptr,
                                    _c_size]),
    "cohort_flush": (_c_int, [Handle, _c_int]),
    "cohort_request": (_c_int, [Handle, _c_str, _c_str, _c_ptr, _c_size,
                                ctypes.POINTER(ctypes.POINTER(CohortMsg)),
                                _c_int]),
    "cohort_request_async": (_c_int, [Handle, _c_str, _c_str, _c_ptr,
                                      _c_size, _c_int, REPLY_CB, _c_ptr]),
    "cohort_reply": (_c_int, [Handle, ctypes.POINTER(CohortMsg), _c_ptr,
                              _c_size]),
    "cohort_set_error_cb": (None, [Handle, ERROR_CB, _c_ptr]),
    "cohort_next_msg": (_c_int, [Handle, ctypes.POINTER(
        ctypes.POINTER(CohortMsg)), _c_int]),
    "cohort_msg_free": (None, [ctypes.POINTER(CohortMsg)]),
    "cohort_max_message": (_c_size, [Handle]),
    "cohort_async_errors": (ctypes.c_uint64, [Handle]),
    "cohort_fd": (_c_int, [Handle]),
    "cohort_dispatch": (_c_int, [Handle]),
    "cohort_pending": (_c_int, [Handle]),
}

_loaded: Optional[ctypes.CDLL] = None
_libc: Optional[ctypes.CDLL] = None
_load_lock = threading.Lock()


def load() -> ctypes.CDLL:
    """Return libcohort, loading it and declaring its prototypes once.

    Raises OSError, saying where it looked, when it cannot be loaded.
    """
    global _loaded, _libc
    with _load_lock:
        if _loaded is not None:
            return _loaded
        path = os.environ.get("COHORT_LIBRARY") or SONAME
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            hint = ("check COHORT_LIBRARY" if os.environ.get("COHORT_LIBRARY")
                    else "install libcohort, or set COHORT_LIBRARY to its "
                    "path (a build tree's src/.libs/" + SONAME + ")")
            raise OSError(f"cohort: cannot load {path}: {e}; {hint}") from e
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        # free(3), for the arrays of struct cohort_unreached.
        libc = ctypes.CDLL(None)
        libc.free.restype = None
        libc.free.argtypes = [_c_ptr]
        _libc = libc
        _loaded = lib
        return lib


def free(ptr: Any) -> None:
    """free(3) a pointer libcohort allocated with malloc(3)."""
    assert _libc is not None
    _libc.free(ctypes.cast(ptr, _c_ptr))


def text(raw: Optional[bytes]) -> str:
    """A C string from libcohort as str (ids and subjects are ASCII)."""
    if raw is None:
        return ""
    return raw.decode("utf-8", errors="replace")
