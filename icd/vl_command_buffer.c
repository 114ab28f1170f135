/*
 * Command pools and command buffers, guest side.
 *
 * A command buffer is recorded locally: each vkCmd* appends its encoded form
 * to the buffer's own stream, without locks or calls.  The whole stream
 * (vkBeginCommandBuffer ... vkEndCommandBuffer) goes to the transport in one
 * piece: a secondary's at vkEndCommandBuffer, a primary's with its first
 * submission, where the in-process transport may decode and record it on
 * the submitting thread, as the native driver records on the application's
 * thread, instead of waking the ring thread that the application would then
 * wait for.  The buffer waits for the renderer to have consumed the stream
 * before it writes to that memory again.
 */
#include <string.h>

#include "vl_icd.h"
#include "vl_icd_calls.h"

#define MIN_STREAM 4096

struct vl_encoder *
vl_cmd_reserve(struct vl_command_buffer *cmd, size_t size)
{
   if (__builtin_expect((size_t)(cmd->enc.end - cmd->enc.cur) >= size, 1))
      return &cmd->enc;
   if (cmd->error != VK_SUCCESS)
      return NULL;
   const size_t used = (size_t)(cmd->enc.cur - cmd->data);
   size_t cap = cmd->capacity ? cmd->capacity * 2 : MIN_STREAM;
   while (cap < used + size)
      cap *= 2;
   uint8_t *data = realloc(cmd->data, cap);
   if (!data) {
      cmd->error = VK_ERROR_OUT_OF_HOST_MEMORY;
      return NULL;
   }
   cmd->data = data;
   cmd->capacity = cap;
   cmd->enc.cur = data + used;
   cmd->enc.end = data + cap;
   return &cmd->enc;
}

/* The stream is the renderer's until it has consumed it. */
static void
settle(struct vl_command_buffer *cmd)
{
   if (cmd->in_flight) {
      cmd->device->transport->ops->wait(cmd->device->transport, cmd->token);
      cmd->in_flight = false;
   }
}

static void
restart(struct vl_command_buffer *cmd)
{
   /* never handed over: the host saw none of it */
   cmd->unsent = false;
   settle(cmd);
   vl_enc_init(&cmd->enc, cmd->data, cmd->capacity);
   cmd->error = VK_SUCCESS;
   cmd->state = VL_CMD_INITIAL;
}

static void
free_command_buffer(struct vl_command_buffer *cmd)
{
   if (vl_layer) {
      vl_handle_unregister(cmd->handle, cmd);
   }
   settle(cmd);
   struct vl_command_pool *pool = cmd->pool;
   if (cmd->prev)
      cmd->prev->next = cmd->next;
   else
      pool->buffers = cmd->next;
   if (cmd->next)
      cmd->next->prev = cmd->prev;
   free(cmd->data);
   free(cmd);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateCommandPool(VkDevice device, const VkCommandPoolCreateInfo *info,
                     const VkAllocationCallbacks *alloc, VkCommandPool *out)
{
   (void)alloc;
   struct vl_command_pool *pool = calloc(1, sizeof(*pool));
   if (!pool)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   pool->device = vl_device(device);
   pool->family = info->queueFamilyIndex;
   VkCommandPool handle = VL_TO_HANDLE(VkCommandPool, pool);
   VkResult r = vl_send_vkCreateCommandPool(pool->device->transport, device, info, NULL, &handle);
   if (r != VK_SUCCESS) {
      free(pool);
      return r;
   }
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyCommandPool(VkDevice device, VkCommandPool commandPool,
                      const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!commandPool)
      return;
   struct vl_command_pool *pool = VL_FROM_HANDLE(struct vl_command_pool, commandPool);
   while (pool->buffers)
      free_command_buffer(pool->buffers);
   vl_send_vkDestroyCommandPool(vl_device(device)->transport, device, commandPool, NULL);
   free(pool);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_ResetCommandPool(VkDevice device, VkCommandPool commandPool, VkCommandPoolResetFlags flags)
{
   struct vl_command_pool *pool = VL_FROM_HANDLE(struct vl_command_pool, commandPool);
   for (struct vl_command_buffer *cmd = pool->buffers; cmd; cmd = cmd->next)
      restart(cmd);
   return vl_send_vkResetCommandPool(vl_device(device)->transport, device, commandPool, flags);
}

VKAPI_ATTR void VKAPI_CALL
vl_TrimCommandPool(VkDevice device, VkCommandPool commandPool, VkCommandPoolTrimFlags flags)
{
   struct vl_command_pool *pool = VL_FROM_HANDLE(struct vl_command_pool, commandPool);
   /* Give back stream memory of buffers that are not recording. */
   for (struct vl_command_buffer *cmd = pool->buffers; cmd; cmd = cmd->next) {
      if (cmd->state != VL_CMD_RECORDING && cmd->capacity > MIN_STREAM) {
         settle(cmd);
         free(cmd->data);
         cmd->data = NULL;
         cmd->capacity = 0;
         vl_enc_init(&cmd->enc, NULL, 0);
      }
   }
   vl_send_vkTrimCommandPool(vl_device(device)->transport, device, commandPool, flags);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_AllocateCommandBuffers(VkDevice device, const VkCommandBufferAllocateInfo *info,
                          VkCommandBuffer *out)
{
   struct vl_device *dev = vl_device(device);
   struct vl_command_pool *pool = VL_FROM_HANDLE(struct vl_command_pool, info->commandPool);
   for (uint32_t i = 0; i < info->commandBufferCount; i++) {
      struct vl_command_buffer *cmd = calloc(1, sizeof(*cmd));
      if (!cmd) {
         for (uint32_t j = 0; j < i; j++)
            free_command_buffer(VL_FROM_HANDLE(struct vl_command_buffer, out[j]));
         for (uint32_t j = 0; j < info->commandBufferCount; j++)
            out[j] = VK_NULL_HANDLE;
         return VK_ERROR_OUT_OF_HOST_MEMORY;
      }
      set_loader_magic_value(cmd);
      cmd->device = dev;
      cmd->pool = pool;
      cmd->level = info->level;
      cmd->next = pool->buffers;
      if (pool->buffers)
         pool->buffers->prev = cmd;
      pool->buffers = cmd;
      out[i] = VL_TO_HANDLE(VkCommandBuffer, cmd);
   }
   if (vl_layer) {
      /* Created under our structs' addresses, renamed to the host's handles. */
      VkResult r = vl_send_vkAllocateCommandBuffers(dev->transport, device, info, out);
      for (uint32_t i = 0; i < info->commandBufferCount && r == VK_SUCCESS; i++) {
         struct vl_command_buffer *cmd = VL_FROM_HANDLE(struct vl_command_buffer, out[i]);
         cmd->handle = vl_adopt(dev->transport, cmd, VK_OBJECT_TYPE_COMMAND_BUFFER);
         if (!cmd->handle)
            r = VK_ERROR_OUT_OF_HOST_MEMORY; /* the host refused (and said why) */
      }
      for (uint32_t i = 0; i < info->commandBufferCount; i++) {
         struct vl_command_buffer *cmd = VL_FROM_HANDLE(struct vl_command_buffer, out[i]);
         if (r != VK_SUCCESS)
            free_command_buffer(cmd);
         out[i] = r == VK_SUCCESS ? vl_command_buffer_handle(cmd) : VK_NULL_HANDLE;
      }
      return r;
   } else {
      return vl_send_vkAllocateCommandBuffers(dev->transport, device, info, out);
   }
}

VKAPI_ATTR void VKAPI_CALL
vl_FreeCommandBuffers(VkDevice device, VkCommandPool commandPool, uint32_t count,
                      const VkCommandBuffer *buffers)
{
   if (vl_layer) {
      /* Handles are host handles: once freed, the host may give one to a new
       * command buffer of another thread, so each is found before its free. */
      for (uint32_t i = 0; i < count; i++) {
         if (!buffers[i])
            continue;
         struct vl_command_buffer *cmd = vl_command_buffer(buffers[i]);
         vl_send_vkFreeCommandBuffers(vl_device(device)->transport, device, commandPool, 1,
                                      &buffers[i]);
         free_command_buffer(cmd);
      }
   } else {
      vl_send_vkFreeCommandBuffers(vl_device(device)->transport, device, commandPool, count,
                                   buffers);
      for (uint32_t i = 0; i < count; i++) {
         if (buffers[i])
            free_command_buffer(vl_command_buffer(buffers[i]));
      }
   }
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_BeginCommandBuffer(VkCommandBuffer commandBuffer, const VkCommandBufferBeginInfo *info)
{
   struct vl_command_buffer *cmd = vl_command_buffer(commandBuffer);
   restart(cmd);
   VkCommandBufferBeginInfo clean = *info;
   /* Hygiene: inheritance only counts for secondary command buffers. */
   if (cmd->level == VK_COMMAND_BUFFER_LEVEL_PRIMARY)
      clean.pInheritanceInfo = NULL;
   cmd->state = VL_CMD_RECORDING;
   struct vl_encoder *enc =
      vl_cmd_reserve(cmd, vl_sizeof_vkBeginCommandBuffer(commandBuffer, &clean));
   if (!enc)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   vl_encode_vkBeginCommandBuffer(enc, 0, commandBuffer, &clean);
   return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_EndCommandBuffer(VkCommandBuffer commandBuffer)
{
   struct vl_command_buffer *cmd = vl_command_buffer(commandBuffer);
   struct vl_encoder *enc = vl_cmd_reserve(cmd, vl_sizeof_vkEndCommandBuffer(commandBuffer));
   if (enc)
      vl_encode_vkEndCommandBuffer(enc, 0, commandBuffer);
   if (cmd->error != VK_SUCCESS) {
      cmd->state = VL_CMD_INVALID;
      return cmd->error;
   }
   struct vl_transport *t = cmd->device->transport;
   const size_t size = (size_t)(cmd->enc.cur - cmd->data);
   vl_transport_count(t, size);
   cmd->state = VL_CMD_EXECUTABLE;
   if (cmd->level == VK_COMMAND_BUFFER_LEVEL_PRIMARY) {
      cmd->unsent = true;
      return VK_SUCCESS;
   }
   /* A lost connection is reported by the next submission or wait, which
    * may return VK_ERROR_DEVICE_LOST; vkEndCommandBuffer may not. */
   cmd->in_flight = t->ops->submit_stream(t, cmd->data, size, false, &cmd->token);
   return VK_SUCCESS;
}

void
vl_command_buffer_flush(struct vl_command_buffer *cmd)
{
   struct vl_device *dev = cmd->device;
   /* Another thread may submit the same buffer (simultaneous use): the
    * stream goes once, and before either submission. */
   pthread_mutex_lock(&dev->flush_lock);
   if (cmd->unsent) {
      struct vl_transport *t = dev->transport;
      const size_t size = (size_t)(cmd->enc.cur - cmd->data);
      cmd->in_flight = t->ops->submit_stream(t, cmd->data, size, true, &cmd->token);
      cmd->unsent = false;
   }
   pthread_mutex_unlock(&dev->flush_lock);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_ResetCommandBuffer(VkCommandBuffer commandBuffer, VkCommandBufferResetFlags flags)
{
   struct vl_command_buffer *cmd = vl_command_buffer(commandBuffer);
   restart(cmd);
   return vl_send_vkResetCommandBuffer(cmd->device->transport, commandBuffer, flags);
}
