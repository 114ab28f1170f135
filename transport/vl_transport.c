/*
 * Transport selection from the environment.  Every VL_* variable is checked:
 * an unknown value is an error that lists the valid ones.
 */
#include "vl_transport.h"
#include "vl_vtest_protocol.h"

#include <stdlib.h>
#include <string.h>

static bool
parse_bool(const char *name, const char *v, bool *out, char *err, size_t err_size)
{
   if (!v || !*v || !strcmp(v, "0")) {
      *out = false;
      return true;
   }
   if (!strcmp(v, "1")) {
      *out = true;
      return true;
   }
   snprintf(err, err_size, "%s=%s is not valid; valid values: 0, 1", name, v);
   return false;
}

bool
vl_transport_options_from_env(struct vl_transport_options *o, char *err, size_t err_size)
{
   memset(o, 0, sizeof(*o));
   const char *kind = getenv("VL_TRANSPORT");
   if (!kind || !*kind || !strcmp(kind, "ring")) {
      o->kind = VL_TRANSPORT_RING;
   } else if (!strcmp(kind, "vtest")) {
      o->kind = VL_TRANSPORT_VTEST;
   } else if (!strcmp(kind, "virtgpu")) {
      o->kind = VL_TRANSPORT_VIRTGPU;
   } else {
      snprintf(err, err_size, "VL_TRANSPORT=%s is not valid; valid values: ring, vtest, virtgpu",
               kind);
      return false;
   }
   o->vtest_socket = getenv("VL_VTEST_SOCKET");
   if (!o->vtest_socket || !*o->vtest_socket)
      o->vtest_socket = VL_VTEST_DEFAULT_SOCKET;
   o->vtest_timeout_s = VL_VTEST_DEFAULT_TIMEOUT_S;
   const char *timeout = getenv("VL_VTEST_TIMEOUT");
   if (timeout && *timeout) {
      char *end = NULL;
      const unsigned long v = strtoul(timeout, &end, 10);
      if (*end || timeout[0] == '-' || v > 86400) {
         snprintf(err, err_size,
                  "VL_VTEST_TIMEOUT=%s is not valid; valid values: whole seconds from 0 (wait for "
                  "ever) to 86400",
                  timeout);
         return false;
      }
      o->vtest_timeout_s = (uint32_t)v;
   }
   o->virtgpu_device = getenv("VL_VIRTGPU_DEVICE");
   if (o->virtgpu_device && !*o->virtgpu_device)
      o->virtgpu_device = NULL;
   o->host_icd = getenv("VL_HOST_ICD");
   if (o->host_icd && !*o->host_icd)
      o->host_icd = NULL;
   if (!parse_bool("VL_HOST_VALIDATION", getenv("VL_HOST_VALIDATION"), &o->host_validation, err,
                   err_size))
      return false;

   const char *guards = getenv("VL_GUARDS");
   if (guards && *guards) {
      if (!strcmp(guards, "report")) {
         o->guards = VL_GUARDS_REPORT;
      } else if (!strcmp(guards, "refuse")) {
         o->guards = VL_GUARDS_REFUSE;
      } else {
         snprintf(err, err_size, "VL_GUARDS=%s is not valid; valid values: report, refuse", guards);
         return false;
      }
   }

   const char *debug = getenv("VL_DEBUG");
   if (debug && *debug) {
      char *copy = strdup(debug);
      bool ok = true;
      for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
           tok = strtok_r(NULL, ",", &save)) {
         if (!strcmp(tok, "stats")) {
            o->stats = true;
         } else if (!strcmp(tok, "ring")) {
            o->ring_only = true;
         } else if (!strcmp(tok, "capture")) {
            o->capture_file = getenv("VL_CAPTURE_FILE");
            if (!o->capture_file || !*o->capture_file) {
               snprintf(err, err_size, "VL_DEBUG=capture needs VL_CAPTURE_FILE=<path>");
               ok = false;
               break;
            }
         } else {
            snprintf(err, err_size,
                     "VL_DEBUG=%s: '%s' is not valid; valid values: stats, capture, ring", debug,
                     tok);
            ok = false;
            break;
         }
      }
      free(copy);
      if (!ok)
         return false;
   }
   return true;
}

struct vl_transport *
vl_transport_create(const struct vl_transport_options *o, char *err, size_t err_size)
{
   switch (o->kind) {
   case VL_TRANSPORT_RING:
      return vl_transport_inproc_create(o, err, err_size);
   case VL_TRANSPORT_VTEST:
      return vl_transport_vtest_create(o, err, err_size);
   case VL_TRANSPORT_VIRTGPU:
      return vl_transport_virtgpu_create(o, err, err_size);
   }
   return NULL;
}
