/*
 * The renderer's guards (renderer/check/) under both policies, with a call
 * the host driver runs although Vulkan forbids it: a timeline semaphore on
 * a device that did not enable the timelineSemaphore feature.  lavapipe
 * makes it and counts on it.
 *
 *  1. In-process, by default (VL_GUARDS unset: report), the application gets
 *     what the native driver gives it, value for value, and one warning
 *     through its debug-utils messenger (VL-guard-timeline-feature) for two
 *     such calls: reported once per command and kind.
 *  2. The same call with the feature enabled is valid: no message at all.
 *  3. VL_GUARDS=refuse: the device is lost instead.
 *  4. VL_GUARDS=bogus: no instance, and a message that lists the valid
 *     values.
 *
 * Each run is a child process (the ICD reads VL_* once per process for its
 * global queries); the native run is the reference for the values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vkt.h"

static unsigned guard_messages, other_warnings;
static char last_guard[1024];

static VKAPI_ATTR VkBool32 VKAPI_CALL
on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
           const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
   (void)types;
   (void)user;
   if (severity < VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT)
      return VK_FALSE;
   if (data->pMessageIdName && !strcmp(data->pMessageIdName, "VL-guard-timeline-feature")) {
      guard_messages++;
      snprintf(last_guard, sizeof(last_guard), "%s", data->pMessage ? data->pMessage : "");
   } else if (!data->pMessageIdName || strcmp(data->pMessageIdName, "Loader Message")) {
      other_warnings++;
   }
   return VK_FALSE;
}

/* A device with or without the timelineSemaphore feature; two timeline
 * semaphores (initial values 7 and 9), each signaled from the host and read
 * back.  Writes what the application saw to out. */
static int
scenario(const char *out_path)
{
   FILE *out = fopen(out_path, "w");
   if (!out)
      return 1;
   const VkDebugUtilsMessengerCreateInfoEXT mci = {
      .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
      .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
      .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT,
      .pfnUserCallback = on_message,
   };
   const char *ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
   const VkApplicationInfo app = { .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .apiVersion = VK_API_VERSION_1_2 };
   const VkInstanceCreateInfo ici = {
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .pNext = &mci,
      .pApplicationInfo = &app,
      .enabledExtensionCount = 1,
      .ppEnabledExtensionNames = &ext,
   };
   VkInstance instance;
   const VkResult ir = vkCreateInstance(&ici, NULL, &instance);
   if (ir != VK_SUCCESS) {
      fprintf(out, "instance %d\n", ir);
      fclose(out);
      return 0;
   }
   PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
      (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(instance,
                                                                "vkCreateDebugUtilsMessengerEXT");
   PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger =
      (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(instance,
                                                                 "vkDestroyDebugUtilsMessengerEXT");
   VkDebugUtilsMessengerEXT messenger;
   VKT_VK(create_messenger(instance, &mci, NULL, &messenger));
   uint32_t n = 1;
   VkPhysicalDevice physical;
   vkEnumeratePhysicalDevices(instance, &n, &physical);
   VKT_CHECK(n == 1);

   for (int feature = 1; feature >= 0; feature--) { /* valid first: a refusal loses the context */
      const unsigned before = guard_messages;
      const float prio = 1.0f;
      const VkDeviceQueueCreateInfo qci = {
         .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
         .queueCount = 1,
         .pQueuePriorities = &prio,
      };
      const VkPhysicalDeviceVulkan12Features f12 = {
         .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
         .timelineSemaphore = feature ? VK_TRUE : VK_FALSE,
      };
      const VkDeviceCreateInfo dci = {
         .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
         .pNext = &f12,
         .queueCreateInfoCount = 1,
         .pQueueCreateInfos = &qci,
      };
      VkDevice device;
      VKT_VK(vkCreateDevice(physical, &dci, NULL, &device));
      for (uint64_t initial = 7; initial <= 9; initial += 2) {
         const VkSemaphoreTypeCreateInfo type = {
            .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
            .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE,
            .initialValue = initial,
         };
         const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                             .pNext = &type };
         VkSemaphore sem = VK_NULL_HANDLE;
         const VkResult cr = vkCreateSemaphore(device, &sci, NULL, &sem);
         uint64_t value = 0;
         VkResult gr = VK_NOT_READY, sr = VK_NOT_READY;
         if (cr == VK_SUCCESS) {
            const VkSemaphoreSignalInfo signal = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                                   .semaphore = sem,
                                                   .value = initial + 5 };
            sr = vkSignalSemaphore(device, &signal);
            gr = vkGetSemaphoreCounterValue(device, sem, &value);
         }
         const VkResult wr = vkDeviceWaitIdle(device);
         fprintf(out,
                 "feature %d initial %llu: create %d signal %d counter %d value %llu idle %d\n",
                 feature, (unsigned long long)initial, cr, sr, gr, (unsigned long long)value, wr);
         vkDestroySemaphore(device, sem, NULL);
      }
      vkDestroyDevice(device, NULL);
      fprintf(out, "feature %d: guard messages %u\n", feature, guard_messages - before);
   }
   fprintf(out, "other warnings %u\n", other_warnings);
   if (last_guard[0])
      printf("the guard's message: %s\n", last_guard);
   destroy_messenger(instance, messenger, NULL);
   vkDestroyInstance(instance, NULL);
   fclose(out);
   return 0;
}

static char *
slurp(const char *path)
{
   FILE *f = fopen(path, "r");
   static char buf[4][4096];
   static int next;
   char *b = buf[next++ % 4];
   b[0] = 0;
   if (f) {
      const size_t got = fread(b, 1, 4095, f);
      b[got] = 0;
      fclose(f);
   }
   return b;
}

static bool
contains(const char *text, const char *what)
{
   return strstr(text, what) != NULL;
}

/* The instance fails with a message listing the valid values. */
static void
bogus_value(void)
{
   char path[] = "/tmp/vl-guards-XXXXXX";
   const int fd = mkstemp(path);
   VKT_CHECK(fd >= 0);
   fflush(stdout);
   const pid_t pid = fork();
   VKT_CHECK(pid >= 0);
   if (!pid) {
      dup2(fd, 2);
      setenv("VL_GUARDS", "bogus", 1);
      const VkInstanceCreateInfo ici = { .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO };
      VkInstance instance;
      const VkResult r = vkCreateInstance(&ici, NULL, &instance);
      _exit(r == VK_SUCCESS ? 1 : 0);
   }
   int status = 0;
   waitpid(pid, &status, 0);
   char text[4096] = "";
   const ssize_t got = pread(fd, text, sizeof(text) - 1, 0);
   close(fd);
   unlink(path);
   text[got > 0 ? got : 0] = 0;
   if (!WIFEXITED(status) || WEXITSTATUS(status))
      vkt_fail("VL_GUARDS=bogus: an instance was made (or the child crashed)");
   if (!contains(text, "VL_GUARDS=bogus is not valid; valid values: report, refuse"))
      vkt_fail("VL_GUARDS=bogus: the message lists no valid values: \"%s\"", text);
   printf("VL_GUARDS=bogus: %s", text);
}

int
main(int argc, char **argv)
{
   if (argc == 3 && !strcmp(argv[1], "--scenario"))
      return scenario(argv[2]);
   struct vkt t;
   vkt_init(&t, "renderer guards: report in-process, refuse on request");
   vkt_finish(&t);

   const char *icd = getenv("VK_ICD_FILENAMES");
   VKT_CHECK(icd);
   char native_path[] = "/tmp/vl-guards-native-XXXXXX";
   char report_path[] = "/tmp/vl-guards-report-XXXXXX";
   char refuse_path[] = "/tmp/vl-guards-refuse-XXXXXX";
   close(mkstemp(native_path));
   close(mkstemp(report_path));
   close(mkstemp(refuse_path));

   unsetenv("VL_GUARDS");
   if (!vkt_run_native_child(argv[0], "--scenario", native_path))
      vkt_fail("the native run failed");
   if (!vkt_run_child(argv[0], icd, "--scenario", report_path))
      vkt_fail("the run through the loopback (VL_GUARDS unset) failed");
   setenv("VL_GUARDS", "refuse", 1);
   const bool refuse_ran = vkt_run_child(argv[0], icd, "--scenario", refuse_path);
   unsetenv("VL_GUARDS");
   const char *native = slurp(native_path), *report = slurp(report_path),
              *refuse = slurp(refuse_path);
   printf("native:\n%s\nloopback:\n%s\nloopback, VL_GUARDS=refuse:\n%s\n", native, report, refuse);

   /* 1, 2: the values native gives, and exactly one report, for the calls
    * without the feature only */
   char expect[4096];
   snprintf(expect, sizeof(expect), "%s", native);
   char *mark = strstr(expect, "feature 0: guard messages 0");
   VKT_CHECK(mark && contains(native, "feature 1: guard messages 0"));
   mark[strlen("feature 0: guard messages ")] = '1';
   if (strcmp(expect, report))
      vkt_fail("through the loopback the application saw something else than natively "
               "(expected one report for the two calls without the feature, none with it)");
   VKT_CHECK(contains(native, "feature 0 initial 7: create 0 signal 0 counter 0 value 12 idle 0"));

   /* 3: refused: the device is lost, and never by a call with the feature */
   if (!refuse_ran)
      vkt_fail("the run with VL_GUARDS=refuse crashed");
   if (!contains(refuse, "feature 0 initial 7: create -4") &&
       !(contains(refuse, "feature 0 initial 7: create 0") && contains(refuse, "idle -4")))
      vkt_fail("VL_GUARDS=refuse did not lose the device");
   if (!contains(refuse, "feature 0: guard messages 0"))
      vkt_fail("VL_GUARDS=refuse reported instead of refusing");
   if (!contains(refuse, "feature 1 initial 7: create 0 signal 0 counter 0 value 12 idle 0"))
      vkt_fail("VL_GUARDS=refuse: the valid call (feature enabled) was not accepted");

   /* 4 */
   bogus_value();
   unlink(native_path);
   unlink(report_path);
   unlink(refuse_path);
   vkt_pass(&t);
   return 0;
}
