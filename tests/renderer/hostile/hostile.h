/*
 * Hostile guests: streams a well-behaved ICD never sends, encoded by hand
 * with the generated encoders and submitted straight to a renderer context
 * on lavapipe.  Each must end in the context's fatal state with a message
 * that says why, and nothing else: no crash, and (in the sanitized build) no
 * read or write outside the memory the guest shared.
 *
 * Every test starts from a fresh context with an instance, a device and a
 * queue, made by a well-formed stream, so that a refusal is the refusal of
 * the one bad command the test adds.  The tests of renderer/check/'s
 * guards first make the valid call closest to the rule the invalid one
 * breaks, and check that it reaches the host and the context lives on.
 *
 * The shared fixture is here (hostile.c); the tests are by area, one file
 * each (hostile_<area>.c, with its table hostile_<area>_tests), run as one
 * cmocka group by main.c.
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vl_protocol_guest.h"
#include "vlr_renderer.h"

/* Guest ids of the objects every test starts with. */
#define INSTANCE 0x100
#define PHYSICAL 0x101
#define DEVICE   0x102
#define QUEUE    0x103

#define REPLY_SIZE 65536

struct guest {
   struct vlr_context *ctx;
   uint8_t *reply;
   uint32_t reply_res;
   uint8_t buf[8192];
   struct vl_encoder enc;
   uint64_t next_id; /* new_id() */
};

extern struct guest g;

/* Each test: a fresh context with INSTANCE, PHYSICAL, DEVICE and QUEUE. */
int hostile_setup(void **state);
int hostile_teardown(void **state);

#define HOSTILE_TEST(name) cmocka_unit_test_setup_teardown(name, hostile_setup, hostile_teardown)

/* An area's tests (hostile_<area>.c). */
#define HOSTILE_AREA(area)                                                                         \
   extern const struct CMUnitTest hostile_##area##_tests[];                                        \
   extern const size_t hostile_##area##_count

HOSTILE_AREA(decoding);
HOSTILE_AREA(sync);
HOSTILE_AREA(buffers);
HOSTILE_AREA(images);
HOSTILE_AREA(render_passes);
HOSTILE_AREA(descriptors);
HOSTILE_AREA(queries);
HOSTILE_AREA(pipelines);
HOSTILE_AREA(shaders);

/* What hostile_decoding.c keeps between tests, freed at exit. */
void hostile_decoding_cleanup(void);

/* ---- streams ------------------------------------------------------------------------------ */

/* A new stream in g.enc. */
void begin(void);
/* Submits g.enc's stream: whether the context took it. */
bool submit(void);
/* The stream was taken and the context lives on (a valid call reached the
 * host); then a new stream begins. */
void expect_accepted(void);
/* The stream ends the context, and the reason names what went wrong. */
void expect_lost(const char *why);

/* ---- objects ------------------------------------------------------------------------------ */

VkDevice device(void);
VkQueue queue(void);
/* A guest id no other object of the test has (from 0x10000 up). */
uint64_t new_id(void);

/* A 4096-byte TRANSFER_DST buffer. */
void create_buffer(uint64_t id);
void create_fence(uint64_t id);
/* `size` bytes of memory of type 0. */
void allocate_memory(uint64_t id, VkDeviceSize size);

#define BUF    0x400
#define MEMORY 0x401
#define POOL2  0x402
#define CB2    0x403

/* BUF, 4096 bytes; with memory bound when `bind` (MEMORY, a 4096-byte
 * allocation, at `offset` in it). */
void buffer_with_memory(bool bind, VkDeviceSize offset);
/* A buffer of `size` bytes with every usage the tests need, and memory of
 * its own bound: its id. */
uint64_t bound_buffer(VkDeviceSize size, VkBufferUsageFlags usage);
/* CB2, a primary command buffer of POOL2 in the recording state. */
VkCommandBuffer recording(void);

#define IMAGE  0x410
#define IMGMEM 0x411

/* IMAGE, a 64x64 RGBA8 image with 2 mip levels and 2 layers, with 64 KiB
 * of memory bound (IMGMEM) when `bind`. */
void image_with_memory(bool bind);
/* An image of this create info with memory of its own bound (as much as
 * the host asks for: this submits the stream so far): its id. */
uint64_t bound_image(const VkImageCreateInfo *info);
uint64_t bound_image_on(VkDevice dev, const VkImageCreateInfo *info);
/* A view of a new RGBA8 colour attachment image of `dev` (2D, or 2D_ARRAY
 * of `layers` layers) with its memory bound: its id. */
uint64_t color_view_on(VkDevice dev, uint32_t width, uint32_t height, uint32_t layers);

/* ---- more devices, and drawing ---------------------------------------------------------- */

/* A device of PHYSICAL with one queue, `extension` enabled (NULL: none) and
 * the feature structures at `features` (NULL: none). */
void create_device(uint64_t id, const char *extension, const void *features);
void create_device_with(uint64_t id, uint32_t count, const char *const *extensions,
                        const void *features);
/* A primary command buffer of a new pool of `dev`, recording. */
VkCommandBuffer recording_on(VkDevice dev);
/* A buffer of `dev` of `size` bytes and this usage, with memory of its own
 * bound: its id. */
uint64_t bound_buffer_on(VkDevice dev, VkDeviceSize size, VkBufferUsageFlags usage);
/* Begins a render pass on `cb` (of `dev`) into a 32x32 RGBA8 image and
 * binds a graphics pipeline drawing with the trivial shaders below: draws
 * recorded after it are valid. */
void drawing_on(VkDevice dev, VkCommandBuffer cb);
/* A render pass of one RGBA8 colour attachment of `samples` samples,
 * cleared and stored, and a graphics pipeline for it drawing with the
 * trivial shaders below (static viewport and scissor, 32x32). */
VkRenderPass color_pass_on(VkDevice dev, VkSampleCountFlagBits samples);
VkPipeline graphics_pipeline_on(VkDevice dev, VkRenderPass pass, VkSampleCountFlagBits samples);
/* The same with this viewport state (NULL: the static one above), this
 * dynamic state (NULL: none) and rasterizerDiscardEnable = discard. */
VkPipeline graphics_pipeline_with(VkDevice dev, VkRenderPass pass, VkSampleCountFlagBits samples,
                                  const VkPipelineViewportStateCreateInfo *viewports,
                                  const VkPipelineDynamicStateCreateInfo *dynamic,
                                  VkBool32 discard);
/* A shader module of `dev` of this code: its id. */
uint64_t shader_module_on(VkDevice dev, const uint32_t *code, size_t size);

/* hostile_spirv.c: valid SPIR-V of a trivial vertex, fragment and compute
 * shader, and of a compute shader that reads a push constant. */
extern const uint32_t hostile_vertex_spirv[], hostile_fragment_spirv[], hostile_compute_spirv[],
   hostile_push_constant_spirv[];
extern const size_t hostile_vertex_spirv_size, hostile_fragment_spirv_size,
   hostile_compute_spirv_size, hostile_push_constant_spirv_size;

#define H(type, id) ((type)(uintptr_t)(id))

#endif
