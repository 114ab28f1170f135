/*
 * Bad vtest peers never crash the server and never disturb another client.
 *
 * Run through tests/scripts/with_vtest_server.py (VL_VTEST_SOCKET names the
 * server).  A well-behaved client connects first and stays connected with a
 * live renderer context.  Then clients connect raw and misbehave one after
 * the other: garbage, oversized lengths, unknown ids, malformed batches and
 * Venus streams, a ring whose memory is pulled away, and disconnects in the
 * middle of a command (and, for contrast, one that drives a ring as Mesa
 * does).  After each one the test checks that the server
 * closed that connection (or, where the protocol says so, ignored the
 * request and kept serving it), that the first client still gets answers
 * from its context, and that a new client can still connect and work.
 * The wrapper then checks that no client process of the server crashed.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vl_protocol_defs.h"
#include "vl_protocol_guest.h"
#include "vl_vtest_protocol.h"

static const char *socket_path;
static const char *current = "setup";

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
fail(const char *fmt, ...)
{
   va_list ap;
   va_start(ap, fmt);
   printf("FAIL bad vtest peers (%s): ", current);
   vprintf(fmt, ap);
   printf("\n");
   va_end(ap);
   exit(1);
}

static int
connect_raw(void)
{
   struct sockaddr_un addr = { .sun_family = AF_UNIX };
   snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path);
   const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
   if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
      fail("cannot connect to %s: %s (is the server still alive?)", socket_path, strerror(errno));
   return fd;
}

/* Writes what it can: the server may close at any point. */
static void
send_bytes(int fd, const void *data, size_t size)
{
   const uint8_t *p = data;
   while (size) {
      const ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
      if (n <= 0)
         return;
      p += n;
      size -= (size_t)n;
   }
}

static void
send_words(int fd, const uint32_t *w, size_t count)
{
   send_bytes(fd, w, count * 4);
}

static void
recv_exact(int fd, void *buf, size_t size)
{
   uint8_t *p = buf;
   while (size) {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      if (poll(&pfd, 1, 20000) != 1)
         fail("no answer within 20 s");
      const ssize_t n = recv(fd, p, size, 0);
      if (n <= 0)
         fail("the connection closed while an answer was expected");
      p += n;
      size -= (size_t)n;
   }
}

static int
recv_fd(int fd)
{
   char byte;
   struct iovec iov = { &byte, 1 };
   union {
      char buf[CMSG_SPACE(sizeof(int))];
      struct cmsghdr align;
   } control;
   struct msghdr msg = { .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf) };
   if (recvmsg(fd, &msg, MSG_CMSG_CLOEXEC) != 1)
      fail("no file descriptor came");
   struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
   if (!c || c->cmsg_type != SCM_RIGHTS)
      fail("no file descriptor came");
   int out;
   memcpy(&out, CMSG_DATA(c), sizeof(out));
   return out;
}

static void
expect_reply(int fd, uint32_t id, uint32_t *payload, uint32_t words)
{
   uint32_t hdr[2];
   recv_exact(fd, hdr, 8);
   if (hdr[1] != id || hdr[0] != words)
      fail("reply [%u, %u], expected [%u, %u]", hdr[0], hdr[1], words, id);
   if (words)
      recv_exact(fd, payload, words * 4u);
}

/* The server closes the connection (after its error report, to a client
 * that asked for it); a connection that stays open fails the test. */
static void
expect_closed(int fd, const char *expect_in_report)
{
   char text[2048] = { 0 };
   size_t got = 0;
   for (;;) {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      if (poll(&pfd, 1, 20000) != 1)
         fail("the server kept the connection open");
      char buf[512];
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0)
         break;
      const size_t keep = got + (size_t)n < sizeof(text) - 1 ? (size_t)n : sizeof(text) - 1 - got;
      memcpy(text + got, buf, keep);
      got += keep;
   }
   close(fd);
   if (expect_in_report) {
      /* [len, VL_VCMD_LOOPBACK_ERROR] then the reason */
      uint32_t id = 0;
      if (got >= 8)
         memcpy(&id, text + 4, 4);
      if (id != VL_VCMD_LOOPBACK_ERROR || !strstr(text + 8, expect_in_report))
         fail("expected an error report naming '%s', got %zu bytes: '%s'", expect_in_report, got,
              got >= 8 ? text + 8 : "");
      printf("  closed with: %s\n", text + 8);
   } else {
      printf("  closed\n");
   }
}

/* ---- a well-behaved client ----------------------------------------------------- */

struct peer {
   int fd;
   uint32_t sync;
   uint64_t value;
   uint32_t reply_res;
   uint8_t *reply;
};

static const size_t reply_size = 1 << 16;

static void
handshake(int fd, bool loopback)
{
   const char name[] = "bad-peers";
   const uint32_t create[2] = { sizeof(name), VL_VCMD_CREATE_RENDERER };
   send_words(fd, create, 2);
   send_bytes(fd, name, sizeof(name));
   const uint32_t version[3] = { 1, VL_VCMD_PROTOCOL_VERSION, 3 };
   send_words(fd, version, 3);
   uint32_t v;
   expect_reply(fd, VL_VCMD_PROTOCOL_VERSION, &v, 1);
   if (v != 3)
      fail("protocol version %u", v);
   if (loopback) {
      const uint32_t param[3] = { 1, VL_VCMD_GET_PARAM, VL_VCMD_PARAM_LOOPBACK };
      uint32_t answer[2];
      send_words(fd, param, 3);
      expect_reply(fd, VL_VCMD_GET_PARAM, answer, 2);
      if (!answer[0])
         fail("the server is not a venus-loopback server");
   }
   const uint32_t init[3] = { 1, VL_VCMD_CONTEXT_INIT, VL_VIRGL_RENDERER_CAPSET_VENUS };
   send_words(fd, init, 3);
}

static uint32_t
create_shm(int fd, size_t size, uint8_t **map)
{
   const uint32_t req[8] = { 6,
                             VL_VCMD_RESOURCE_CREATE_BLOB,
                             VL_VCMD_BLOB_TYPE_HOST3D,
                             VL_VCMD_BLOB_FLAG_MAPPABLE,
                             (uint32_t)size,
                             0,
                             0,
                             0 };
   send_words(fd, req, 8);
   uint32_t res;
   expect_reply(fd, VL_VCMD_RESOURCE_CREATE_BLOB, &res, 1);
   const int mfd = recv_fd(fd);
   *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
   close(mfd);
   if (*map == MAP_FAILED)
      fail("cannot map a blob");
   return res;
}

static void
submit(int fd, const void *cmds, size_t size, uint32_t sync, uint64_t value)
{
   const uint32_t words = (uint32_t)(size / 4);
   const uint32_t head[9] = { 7 + words + (sync ? 3 : 0),
                              VL_VCMD_SUBMIT_CMD2,
                              1,
                              sync ? VL_VCMD_SUBMIT_CMD2_FLAG_RING_IDX : 0,
                              7,
                              words,
                              7 + words,
                              sync ? 1 : 0,
                              0 };
   const uint32_t s[3] = { sync, (uint32_t)value, (uint32_t)(value >> 32) };
   send_words(fd, head, 9);
   send_bytes(fd, cmds, size);
   if (sync)
      send_words(fd, s, 3);
}

static void
wait_sync(int fd, uint32_t sync, uint64_t value)
{
   const uint32_t req[7] = { 5, VL_VCMD_SYNC_WAIT, 0, 20000, sync, (uint32_t)value, 0 };
   send_words(fd, req, 7);
   expect_reply(fd, VL_VCMD_SYNC_WAIT, NULL, 0);
   const int efd = recv_fd(fd);
   struct pollfd p = { .fd = efd, .events = POLLIN };
   if (poll(&p, 1, 20000) != 1)
      fail("a sync wait never completed");
   close(efd);
}

static struct peer
good_peer(void)
{
   struct peer p = { .fd = connect_raw() };
   handshake(p.fd, true);
   const uint32_t sync[4] = { 2, VL_VCMD_SYNC_CREATE, 0, 0 };
   send_words(p.fd, sync, 4);
   expect_reply(p.fd, VL_VCMD_SYNC_CREATE, &p.sync, 1);
   p.reply_res = create_shm(p.fd, reply_size, &p.reply);
   uint8_t cmd[64];
   struct vl_encoder enc;
   vl_enc_init(&enc, cmd, sizeof(cmd));
   const VkCommandStreamDescriptionMESA stream = { .resourceId = p.reply_res, .size = reply_size };
   vl_encode_vkSetReplyCommandStreamMESA(&enc, 0, &stream);
   submit(p.fd, cmd, (size_t)(enc.cur - cmd), 0, 0);
   return p;
}

/* A real call through the peer's context: vkEnumerateInstanceVersion. */
static void
check_peer(struct peer *p, const char *who)
{
   uint8_t cmd[64];
   struct vl_encoder enc;
   vl_enc_init(&enc, cmd, sizeof(cmd));
   vl_encode_vkSeekReplyCommandStreamMESA(&enc, 0, 0);
   uint32_t version = 0;
   vl_encode_vkEnumerateInstanceVersion(&enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, &version);
   memset(p->reply, 0xab, 64);
   submit(p->fd, cmd, (size_t)(enc.cur - cmd), p->sync, ++p->value);
   wait_sync(p->fd, p->sync, p->value);
   struct vl_decoder dec;
   vl_dec_init(&dec, p->reply, reply_size, NULL, NULL);
   const VkResult r = vl_decode_vkEnumerateInstanceVersion_reply(&dec, &version);
   if (dec.error || r != VK_SUCCESS || version < VK_API_VERSION_1_1)
      fail("%s: vkEnumerateInstanceVersion answered %d, version 0x%x", who, r, version);
}

static void
close_peer(struct peer *p)
{
   munmap(p->reply, reply_size);
   close(p->fd);
}

/* ---- the bad peers --------------------------------------------------------------- */

static void
encode_submit_header(uint32_t *w, uint32_t len, uint32_t offset, uint32_t size)
{
   const uint32_t h[9] = { len, VL_VCMD_SUBMIT_CMD2, 1, 0, offset, size, 0, 0, 0 };
   memcpy(w, h, sizeof(h));
}

static void
run_case(struct peer *survivor, const char *name, void (*misbehave)(void))
{
   current = name;
   printf("%s\n", name);
   fflush(stdout);
   misbehave();
   check_peer(survivor, "the connected client");
   struct peer fresh = good_peer();
   check_peer(&fresh, "a new client");
   close_peer(&fresh);
}

static void
garbage_first(void)
{
   const int fd = connect_raw();
   uint32_t junk[64];
   srand(7);
   for (int i = 0; i < 64; i++)
      junk[i] = (uint32_t)rand() * 2654435761u;
   junk[1] = 0xdeadbeef;
   send_words(fd, junk, 64);
   expect_closed(fd, NULL);
}

static void
unknown_command(void)
{
   const int fd = connect_raw();
   handshake(fd, true);
   const uint32_t cmd[3] = { 1, 999, 0 };
   send_words(fd, cmd, 3);
   expect_closed(fd, "command id 999");
}

static void
oversized_submit(void)
{
   const int fd = connect_raw();
   handshake(fd, true);
   uint32_t w[9];
   encode_submit_header(w, 0xffffffffu, 7, 0);
   send_words(fd, w, 9);
   expect_closed(fd, "larger than");
}

static void
oversized_name(void)
{
   const int fd = connect_raw();
   const uint32_t create[2] = { 0xfffffff0u, VL_VCMD_CREATE_RENDERER };
   send_words(fd, create, 2);
   expect_closed(fd, NULL);
}

static void
oversized_blob(void)
{
   const int fd = connect_raw();
   handshake(fd, true);
   const uint32_t req[8] = { 6,
                             VL_VCMD_RESOURCE_CREATE_BLOB,
                             VL_VCMD_BLOB_TYPE_HOST3D,
                             VL_VCMD_BLOB_FLAG_MAPPABLE,
                             0,
                             0x100,
                             0,
                             0 };
   send_words(fd, req, 8);
   expect_closed(fd, "shared-memory blob");
}

static void
batch_outside_message(void)
{
   const int fd = connect_raw();
   handshake(fd, true);
   uint32_t w[9];
   encode_submit_header(w, 7, 5, 1000); /* 1000 words of stream in a 7-word message */
   send_words(fd, w, 9);
   expect_closed(fd, "outside the message");
}

static void
unknown_sync(void)
{
   const int fd = connect_raw();
   handshake(fd, true);
   const uint32_t req[7] = { 5, VL_VCMD_SYNC_WAIT, 0, 0, 4242, 1, 0 };
   send_words(fd, req, 7);
   expect_closed(fd, "unknown sync id 4242");
}

static void
unknown_memory_blob(void)
{
   /* a client that knows the loopback additions is told why, and goes on */
   struct peer p = good_peer();
   const uint32_t req[8] = { 6,
                             VL_VCMD_RESOURCE_CREATE_BLOB,
                             VL_VCMD_BLOB_TYPE_HOST3D,
                             VL_VCMD_BLOB_FLAG_MAPPABLE,
                             4096,
                             0,
                             0x1234,
                             0 };
   send_words(p.fd, req, 8);
   uint32_t res = 1;
   expect_reply(p.fd, VL_VCMD_RESOURCE_CREATE_BLOB, &res, 1);
   uint32_t hdr[2];
   char text[1024] = { 0 };
   recv_exact(p.fd, hdr, 8);
   if (res || hdr[1] != VL_VCMD_LOOPBACK_BLOB_REFUSED || hdr[0] > 255)
      fail("expected res_id 0 and a refusal, got res %u and [%u, %u]", res, hdr[0], hdr[1]);
   recv_exact(p.fd, text, hdr[0] * 4u);
   if (!strstr(text, "no VkDeviceMemory has id 0x1234"))
      fail("the refusal says '%s'", text);
   check_peer(&p, "the client whose blob was refused");
   close_peer(&p);
   printf("  refused: %s; connection alive\n", text);
   /* a client that does not know them is disconnected, as virglrenderer does */
   const int fd = connect_raw();
   handshake(fd, false);
   send_words(fd, req, 8);
   expect_closed(fd, NULL);
}

static void
unknown_resource_unref(void)
{
   /* ignored, as virglrenderer does: the connection keeps working */
   struct peer p = good_peer();
   const uint32_t req[3] = { 1, VL_VCMD_RESOURCE_UNREF, 0x777 };
   send_words(p.fd, req, 3);
   check_peer(&p, "the client that unreferenced an unknown resource");
   close_peer(&p);
   printf("  ignored, connection alive\n");
}

static void
unknown_object_id(void)
{
   /* a Venus stream naming an instance that does not exist */
   const int fd = connect_raw();
   handshake(fd, true);
   uint8_t cmd[64];
   struct vl_encoder enc;
   vl_enc_init(&enc, cmd, sizeof(cmd));
   vl_encode_vkDestroyInstance(&enc, 0, (VkInstance)(uintptr_t)0xbad1d, NULL);
   submit(fd, cmd, (size_t)(enc.cur - cmd), 0, 0);
   expect_closed(fd, "unknown object id 0xbad1d");
}

static void
garbage_stream(void)
{
   const int fd = connect_raw();
   handshake(fd, true);
   uint32_t junk[32];
   for (int i = 0; i < 32; i++)
      junk[i] = 0x41414141u + (uint32_t)i;
   submit(fd, junk, sizeof(junk), 0, 0);
   expect_closed(fd, "unknown");
}

static void
truncated_command(void)
{
   /* vkEnumerateInstanceVersion without its output pointer */
   const int fd = connect_raw();
   handshake(fd, true);
   const uint32_t cmd[2] = { VL_CMD_vkEnumerateInstanceVersion, 0 };
   submit(fd, cmd, sizeof(cmd), 0, 0);
   expect_closed(fd, NULL);
}

static void
disconnect_mid_header(void)
{
   const int fd = connect_raw();
   handshake(fd, true);
   const uint32_t half = VL_VCMD_SUBMIT_CMD2;
   send_words(fd, &half, 1);
   close(fd);
}

static void
disconnect_mid_payload(void)
{
   const int fd = connect_raw();
   handshake(fd, true);
   uint32_t w[9];
   encode_submit_header(w, 100, 7, 93);
   send_words(fd, w, 9);
   close(fd);
}

static void
disconnect_mid_name(void)
{
   const int fd = connect_raw();
   const uint32_t create[2] = { 64, VL_VCMD_CREATE_RENDERER };
   send_words(fd, create, 2);
   send_bytes(fd, "abc", 3);
   close(fd);
}

static void
ring_memory_pulled(void)
{
   /* a ring runs in shared memory that the client then releases */
   const int fd = connect_raw();
   handshake(fd, true);
   uint8_t *ring = NULL;
   const size_t area = 192 + 4096 + 8;
   const uint32_t res = create_shm(fd, 8192, &ring);
   memset(ring, 0, 8192);
   const VkRingCreateInfoMESA info = {
      .sType = VK_STRUCTURE_TYPE_RING_CREATE_INFO_MESA,
      .resourceId = res,
      .size = area,
      .idleTimeout = 1000000,
      .headOffset = 0,
      .tailOffset = 64,
      .statusOffset = 128,
      .bufferOffset = 192,
      .bufferSize = 4096,
      .extraOffset = 192 + 4096,
      .extraSize = 8,
   };
   uint8_t cmd[160];
   struct vl_encoder enc;
   vl_enc_init(&enc, cmd, sizeof(cmd));
   vl_encode_vkCreateRingMESA(&enc, 0, 0x51, &info);
   submit(fd, cmd, (size_t)(enc.cur - cmd), 0, 0);
   const uint32_t unref[3] = { 1, VL_VCMD_RESOURCE_UNREF, res };
   send_words(fd, unref, 3);
   munmap(ring, 8192);
   /* the ring stopped and the context is lost: the next submission closes */
   vl_enc_init(&enc, cmd, sizeof(cmd));
   vl_encode_vkNotifyRingMESA(&enc, 0, 0x51, 0, 0);
   submit(fd, cmd, (size_t)(enc.cur - cmd), 0, 0);
   expect_closed(fd, "ring");
}

/* Not a bad peer: the Mesa model, commands through a ring in shared
 * memory, the reply through the reply stream; then the ring goes cleanly. */
static void
ring_client(void)
{
   struct peer p = good_peer();
   uint8_t *ring = NULL;
   const uint32_t buffer_size = 4096;
   const uint32_t res = create_shm(p.fd, 8192, &ring);
   memset(ring, 0, 8192);
   const VkRingCreateInfoMESA info = {
      .sType = VK_STRUCTURE_TYPE_RING_CREATE_INFO_MESA,
      .resourceId = res,
      .size = 192 + buffer_size + 8,
      .idleTimeout = 1000000,
      .tailOffset = 64,
      .statusOffset = 128,
      .bufferOffset = 192,
      .bufferSize = buffer_size,
      .extraOffset = 192 + buffer_size,
      .extraSize = 8,
   };
   uint8_t cmd[160];
   struct vl_encoder enc;
   vl_enc_init(&enc, cmd, sizeof(cmd));
   vl_encode_vkCreateRingMESA(&enc, 0, 0x52, &info);
   submit(p.fd, cmd, (size_t)(enc.cur - cmd), 0, 0);
   /* a round trip: the ring exists before anything is published in it */
   check_peer(&p, "the client that created a ring");
   /* a call through the ring, which has a reply stream of its own (wire
    * format 1: Mesa 25 sets it in the ring before each reply it expects) */
   uint32_t version = 0;
   vl_enc_init(&enc, ring + 192, buffer_size);
   const VkCommandStreamDescriptionMESA stream = { .resourceId = p.reply_res, .size = 64 };
   vl_encode_vkSetReplyCommandStreamMESA(&enc, 0, &stream);
   vl_encode_vkEnumerateInstanceVersion(&enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, &version);
   const uint32_t tail = (uint32_t)(enc.cur - (ring + 192));
   _Atomic uint32_t *head_word = (_Atomic uint32_t *)ring;
   _Atomic uint32_t *tail_word = (_Atomic uint32_t *)(ring + 64);
   _Atomic uint32_t *status_word = (_Atomic uint32_t *)(ring + 128);
   memset(p.reply, 0xab, 64);
   atomic_store(tail_word, tail);
   if (atomic_load(status_word) & 1) {
      vl_enc_init(&enc, cmd, sizeof(cmd));
      vl_encode_vkNotifyRingMESA(&enc, 0, 0x52, tail, 0);
      submit(p.fd, cmd, (size_t)(enc.cur - cmd), 0, 0);
   }
   for (int i = 0; atomic_load(head_word) != tail; i++) {
      if (i > 20000)
         fail("the ring's head did not reach its tail within 20 s");
      usleep(1000);
   }
   struct vl_decoder dec;
   vl_dec_init(&dec, p.reply, reply_size, NULL, NULL);
   const VkResult r = vl_decode_vkEnumerateInstanceVersion_reply(&dec, &version);
   if (dec.error || r != VK_SUCCESS || version < VK_API_VERSION_1_1)
      fail("through the ring, vkEnumerateInstanceVersion answered %d, version 0x%x", r, version);
   vl_enc_init(&enc, cmd, sizeof(cmd));
   vl_encode_vkDestroyRingMESA(&enc, 0, 0x52);
   submit(p.fd, cmd, (size_t)(enc.cur - cmd), 0, 0);
   const uint32_t unref[3] = { 1, VL_VCMD_RESOURCE_UNREF, res };
   send_words(p.fd, unref, 3);
   munmap(ring, 8192);
   check_peer(&p, "the client after its ring");
   close_peer(&p);
   printf("  the ring answered (Vulkan %u.%u)\n", VK_API_VERSION_MAJOR(version),
          VK_API_VERSION_MINOR(version));
}

static void
stalled_client(void)
{
   /* connected, half a message, and silent: others must not wait for it */
   const int fd = connect_raw();
   handshake(fd, true);
   const uint32_t w[3] = { 40, VL_VCMD_SUBMIT_CMD2, 1 };
   send_words(fd, w, 3);
   struct peer p = good_peer();
   check_peer(&p, "a client next to a stalled one");
   close_peer(&p);
   close(fd);
}

/* --replay: each file is one client's Venus stream (a renderer fuzz input),
 * sent after the handshake and a reply stream, then a call.  What the server
 * does with it (answers, closes the connection, or loses the client's
 * process) is printed; only a server that stops accepting fails. */
static int
replay(int count, char **files)
{
   unsigned answered = 0, closed = 0;
   for (int i = 0; i < count; i++) {
      current = files[i];
      FILE *f = fopen(files[i], "rb");
      if (!f)
         fail("cannot read %s", files[i]);
      static uint8_t data[1 << 20];
      const size_t n = fread(data, 1, sizeof(data) - 4, f);
      fclose(f);
      const size_t words = (n + 3) / 4;
      memset(data + n, 0, words * 4 - n);
      struct peer p = good_peer();
      submit(p.fd, data, words * 4, 0, 0);
      /* then a call: answered, or the connection closes */
      uint8_t cmd[64];
      struct vl_encoder enc;
      vl_enc_init(&enc, cmd, sizeof(cmd));
      vl_encode_vkSeekReplyCommandStreamMESA(&enc, 0, 0);
      uint32_t version = 0;
      vl_encode_vkEnumerateInstanceVersion(&enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, &version);
      submit(p.fd, cmd, (size_t)(enc.cur - cmd), p.sync, ++p.value);
      const uint32_t req[7] = { 5, VL_VCMD_SYNC_WAIT, 0, 20000, p.sync, (uint32_t)p.value, 0 };
      send_words(p.fd, req, 7);
      uint32_t hdr[2];
      struct pollfd pfd = { .fd = p.fd, .events = POLLIN };
      const bool got = poll(&pfd, 1, 30000) == 1 && recv(p.fd, hdr, 8, MSG_PEEK) == 8 &&
                       hdr[1] == VL_VCMD_SYNC_WAIT;
      printf("  %s: %zu bytes, %s\n", files[i], n,
             got ? "the server answered the next call" : "the connection ended");
      got ? answered++ : closed++;
      close_peer(&p);
   }
   current = "after the replay";
   struct peer last = good_peer();
   check_peer(&last, "a client after the replay");
   close_peer(&last);
   printf("PASS replay: %d streams (%u answered, %u ended their connection); the server still "
          "serves\n",
          count, answered, closed);
   return 0;
}

int
main(int argc, char **argv)
{
   socket_path = getenv("VL_VTEST_SOCKET");
   if (!socket_path || !*socket_path)
      fail("VL_VTEST_SOCKET is not set (run through tests/scripts/with_vtest_server.py)");
   if (argc > 2 && !strcmp(argv[1], "--replay"))
      return replay(argc - 2, argv + 2);
   struct peer survivor = good_peer();
   check_peer(&survivor, "the first client");
   static const struct {
      const char *name;
      void (*run)(void);
   } cases[] = {
      { "a client that drives a ring, as Mesa does", ring_client },
      { "garbage as the first message", garbage_first },
      { "an unknown vtest command", unknown_command },
      { "a SUBMIT_CMD2 of 2^32-1 words", oversized_submit },
      { "a renderer name of 4 GiB", oversized_name },
      { "a shared-memory blob of 1 TiB", oversized_blob },
      { "a batch whose stream lies outside its message", batch_outside_message },
      { "a wait on an unknown sync", unknown_sync },
      { "a blob of unknown device memory", unknown_memory_blob },
      { "an unref of an unknown resource", unknown_resource_unref },
      { "a Venus stream naming an unknown object id", unknown_object_id },
      { "a Venus stream of garbage", garbage_stream },
      { "a truncated Venus command", truncated_command },
      { "a disconnect in the middle of a header", disconnect_mid_header },
      { "a disconnect in the middle of a payload", disconnect_mid_payload },
      { "a disconnect in the middle of the renderer name", disconnect_mid_name },
      { "a ring whose memory is released while it runs", ring_memory_pulled },
      { "a client that stalls in the middle of a message", stalled_client },
   };
   for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
      run_case(&survivor, cases[i].name, cases[i].run);
   current = "end";
   check_peer(&survivor, "the first client, at the end");
   close_peer(&survivor);
   printf("PASS bad vtest peers: %zu kinds of misbehaviour, the server and its other clients "
          "unharmed\n",
          sizeof(cases) / sizeof(cases[0]));
   return 0;
}
