/*
 * Validation on both sides of the wire tells who made an invalid call.
 *
 * The application enables the Khronos validation layer (between it and our
 * ICD) and a debug-utils messenger; the renderer runs with
 * VL_HOST_VALIDATION=1 (the same layer between the decoder and lavapipe),
 * whose messages reach the same messenger marked "HOST-SIDE".
 *
 *  1. An invalid application call that never reaches the host (mapping memory
 *     that is already mapped): reported application-side only.
 *  2. A wrong command injected into the stream by the renderer's test hook
 *     (a vkCreateBuffer of size 0, which no application call produced):
 *     reported host-side only, naming the command.
 *  3. A valid program in between reports nothing on either side.
 */
#include <string.h>

#include "vkt.h"

struct messages {
   unsigned app, host;
   char last_host[1024];
};

static VKAPI_ATTR VkBool32 VKAPI_CALL
on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
           const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
   (void)types;
   struct messages *m = user;
   if (severity < VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT)
      return VK_FALSE;
   /* The loader's own notes are no validation (in layer mode it says which
    * layers VK_INSTANCE_LAYERS added). */
   if (data->pMessageIdName && !strcmp(data->pMessageIdName, "Loader Message"))
      return VK_FALSE;
   if (data->pMessage && strstr(data->pMessage, "HOST-SIDE")) {
      m->host++;
      snprintf(m->last_host, sizeof(m->last_host), "%s", data->pMessage);
   } else {
      m->app++;
   }
   return VK_FALSE;
}

static void
put32(uint8_t **p, uint32_t v)
{
   memcpy(*p, &v, 4);
   *p += 4;
}

static void
put64(uint8_t **p, uint64_t v)
{
   memcpy(*p, &v, 8);
   *p += 8;
}

int
main(void)
{
   setenv("VL_HOST_VALIDATION", "1", 1);
   setenv("VL_TEST_HOOKS", "1", 1);
   const char *name = "validation on both sides tells who is wrong";
   struct messages m = { 0 };
   const VkDebugUtilsMessengerCreateInfoEXT mci = {
      .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
      .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
      .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT,
      .pfnUserCallback = on_message,
      .pUserData = &m,
   };
   const char *layer = "VK_LAYER_KHRONOS_validation";
   const char *ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
   const VkApplicationInfo app = {
      .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
      .pApplicationName = name,
      .apiVersion = VK_API_VERSION_1_3,
   };
   const VkInstanceCreateInfo ici = {
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .pNext = &mci,
      .pApplicationInfo = &app,
      .enabledLayerCount = 1,
      .ppEnabledLayerNames = &layer,
      .enabledExtensionCount = 1,
      .ppEnabledExtensionNames = &ext,
   };
   struct vkt t = { .name = name };
   VKT_VK(vkCreateInstance(&ici, NULL, &t.instance));
   PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
      (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(t.instance,
                                                                "vkCreateDebugUtilsMessengerEXT");
   PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger =
      (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(t.instance,
                                                                 "vkDestroyDebugUtilsMessengerEXT");
   VkDebugUtilsMessengerEXT messenger;
   VKT_VK(create_messenger(t.instance, &mci, NULL, &messenger));
   uint32_t n = 1;
   vkEnumeratePhysicalDevices(t.instance, &n, &t.physical);
   vkGetPhysicalDeviceMemoryProperties(t.physical, &t.memory);
   const float prio = 1.0f;
   const VkDeviceQueueCreateInfo qci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
      .queueCount = 1,
      .pQueuePriorities = &prio,
   };
   const VkDeviceCreateInfo dci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
      .queueCreateInfoCount = 1,
      .pQueueCreateInfos = &qci,
   };
   VKT_VK(vkCreateDevice(t.physical, &dci, NULL, &t.device));
   vkGetDeviceQueue(t.device, 0, 0, &t.queue);

   /* 3. valid work first: nothing on either side */
   struct vkt_buffer b;
   vkt_buffer(&t, 4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, &b);
   VKT_VK(vkDeviceWaitIdle(t.device));
   if (m.app || m.host)
      vkt_fail("a valid program got %u application-side and %u host-side messages", m.app, m.host);

   /* 1. mapping mapped memory: the guest answers it, the host never sees it */
   void *again = NULL;
   vkMapMemory(t.device, b.memory, 0, VK_WHOLE_SIZE, 0, &again);
   VKT_VK(vkDeviceWaitIdle(t.device));
   if (!m.app || m.host)
      vkt_fail("an invalid application call: %u application-side, %u host-side messages "
               "(expected some and none)",
               m.app, m.host);
   const unsigned app_before = m.app;

   /* 2. a wrong command only the stream carries */
   typedef VkResult(VKAPI_PTR * PFN_inject)(VkDevice, const void *, size_t);
   PFN_inject inject = (PFN_inject)vkGetDeviceProcAddr(t.device, "vlTestInjectCommands");
   VKT_CHECK(inject);
   uint8_t cmd[128], *p = cmd;
   put32(&p, 50); /* vkCreateBuffer */
   put32(&p, 0);
   put64(&p, (uint64_t)(uintptr_t)t.device);
   put64(&p, 1); /* pCreateInfo */
   put32(&p, VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
   put64(&p, 0); /* pNext */
   put32(&p, 0); /* flags */
   put64(&p, 0); /* size 0: invalid */
   put32(&p, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
   put32(&p, VK_SHARING_MODE_EXCLUSIVE);
   put32(&p, 0); /* queueFamilyIndexCount */
   put64(&p, 0); /* pQueueFamilyIndices */
   put64(&p, 0); /* pAllocator */
   put64(&p, 1); /* pBuffer */
   put64(&p, 0x7e57000000000001ull);
   VKT_VK(inject(t.device, cmd, (size_t)(p - cmd)));
   VKT_VK(vkDeviceWaitIdle(t.device));
   if (!m.host || m.app != app_before)
      vkt_fail("an injected wrong command: %u host-side, %u new application-side messages "
               "(expected some and none)",
               m.host, m.app - app_before);
   if (!strstr(m.last_host, "vkCreateBuffer") || !strstr(m.last_host, "command #"))
      vkt_fail("the host-side message does not name the command and its position: %s", m.last_host);
   printf("host-side message: %.300s\n", m.last_host);

   vkUnmapMemory(t.device, b.memory);
   vkt_buffer_destroy(&t, &b);
   vkDestroyDevice(t.device, NULL);
   destroy_messenger(t.instance, messenger, NULL);
   vkDestroyInstance(t.instance, NULL);
   vkt_pass(&t);
   return 0;
}
