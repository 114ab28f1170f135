/*
 * Thread-local variables of the ICD and the layer, which applications load
 * with dlopen: the default (global-dynamic) model calls __tls_get_addr on
 * every access, which the per-command paths cannot afford.  The initial-exec
 * model reads them at a fixed offset; glibc keeps static TLS room for
 * libraries loaded later, and these few bytes fit in it (Mesa's drivers do
 * the same).
 */
#ifndef VL_TLS_H
#define VL_TLS_H

#define VL_TLS _Thread_local __attribute__((tls_model("initial-exec")))

#endif
