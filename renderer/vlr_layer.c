/*
 * Layer mode, host side: what the venus-loopback layer needs beyond the
 * protocol, through the in-process transport only.
 *
 * In the layer the application holds the loader's chain objects themselves,
 * and the encoders write a dispatchable handle's value as its object id, so
 * such an object's id must be its host handle.  Creation still goes guest
 * first (the guest names the new object by its own struct, as always); once
 * the renderer has made it, the layer renames it here.  The loader's link
 * for a device being created is handed over here too, keyed by the device's
 * id, because the decoded create info cannot carry it.
 */
#include <inttypes.h>

#include "vlr_context.h"
#include "vlr_host.h"

bool
vlr_layer_adopt(struct vlr_context *ctx, uint64_t id, uint64_t *host)
{
   if (!vlr_host_is_chain(ctx->host) || vlr_context_lost(ctx))
      return false;
   bool ok = false;
   char why[256] = "";
   pthread_mutex_lock(&ctx->lock);
   struct vl_object *obj = vl_object_table_lookup(&ctx->objects, id);
   if (!obj) {
      /* the create failed on the host (and said so) */
      snprintf(why, sizeof(why), "no object has id 0x%" PRIx64, id);
   } else if (!vl_object_type_dispatchable(obj->type)) {
      snprintf(why, sizeof(why), "object 0x%" PRIx64 " is not dispatchable", id);
   } else if (obj->host == id) {
      ok = true;
   } else if (!vl_object_table_rename(&ctx->objects, obj, obj->host)) {
      snprintf(why, sizeof(why),
               "object 0x%" PRIx64 " cannot take its host handle 0x%" PRIx64 " as id", id,
               obj->host);
   } else {
      if (obj->type == VK_OBJECT_TYPE_PHYSICAL_DEVICE && obj->parent)
         vlr_instance_rename_physical_device(obj->parent, id, obj->host);
      ok = true;
   }
   if (ok)
      *host = obj->host;
   pthread_mutex_unlock(&ctx->lock);
   if (why[0] && obj)
      vlr_context_set_lost(ctx, why);
   return ok;
}

void
vlr_layer_set_device_chain(struct vlr_context *ctx, uint64_t id, const struct vlr_chain *chain)
{
   vlr_host_set_device_chain(ctx->host, id, chain);
}
