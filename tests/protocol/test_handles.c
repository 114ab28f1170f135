/*
 * Handle decoding against the renderer's object table: a known id of the
 * right type becomes its host handle (the inline path, vl_dec_handle), and
 * everything else takes the out-of-line path with the same outcome as a
 * read of its own: VK_NULL_HANDLE, unknown ids, wrong types, a stream cut
 * short, a decoder that failed already, no table at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vl_cs.h"
#include "vl_object_table.h"

struct fixture {
   struct vl_object_table objects;
   struct vl_decoder dec;
   uint8_t *stream; /* exactly its size, so that a read past it is caught */
};

static int
setup(void **state)
{
   struct fixture *f = calloc(1, sizeof(*f));
   vl_object_table_init(&f->objects);
   assert_non_null(vl_object_table_add(&f->objects, 0x11, VK_OBJECT_TYPE_BUFFER, 0x100, NULL));
   assert_non_null(
      vl_object_table_add(&f->objects, 0x12, VK_OBJECT_TYPE_DESCRIPTOR_SET, 0x200, NULL));
   *state = f;
   return 0;
}

static int
teardown(void **state)
{
   struct fixture *f = *state;
   free(f->stream);
   vl_object_table_finish(&f->objects);
   free(f);
   return 0;
}

/* A stream of the ids, less cut bytes at its end. */
static void
start(struct fixture *f, const uint64_t *ids, size_t n, size_t cut, bool table)
{
   const size_t size = n * 8 - cut;
   free(f->stream);
   f->stream = malloc(size ? size : 1);
   memcpy(f->stream, ids, size);
   vl_dec_init(&f->dec, f->stream, size, NULL, table ? &f->objects : NULL);
}

static void
test_known_ids(void **state)
{
   struct fixture *f = *state;
   const uint64_t ids[] = { 0x11, 0x12, 0 };
   start(f, ids, 3, 0, true);
   assert_int_equal(vl_dec_handle(&f->dec, VK_OBJECT_TYPE_BUFFER), 0x100);
   assert_int_equal(f->dec.last_object->id, 0x11);
   assert_ptr_equal(f->dec.cur, f->stream + 8);
   assert_int_equal(vl_dec_handle_required(&f->dec, VK_OBJECT_TYPE_DESCRIPTOR_SET), 0x200);
   assert_int_equal(f->dec.last_object->id, 0x12);
   /* VK_NULL_HANDLE: nothing looked up, nothing remembered */
   assert_int_equal(vl_dec_handle(&f->dec, VK_OBJECT_TYPE_BUFFER), 0);
   assert_null(f->dec.last_object);
   assert_null(f->dec.error);
   assert_int_equal(vl_dec_remaining(&f->dec), 0);
}

static void
test_bad_ids(void **state)
{
   struct fixture *f = *state;
   const uint64_t unknown[] = { 0x99, 0x11 };
   start(f, unknown, 2, 0, true);
   assert_int_equal(vl_dec_handle(&f->dec, VK_OBJECT_TYPE_BUFFER), 0);
   assert_string_equal(f->dec.error, "unknown object id");
   assert_int_equal(f->dec.error_id, 0x99);
   /* a failed decoder resolves nothing more, known ids included */
   assert_int_equal(vl_dec_handle(&f->dec, VK_OBJECT_TYPE_BUFFER), 0);
   assert_string_equal(f->dec.error, "unknown object id");

   const uint64_t wrong[] = { 0x12 };
   start(f, wrong, 1, 0, true);
   assert_int_equal(vl_dec_handle(&f->dec, VK_OBJECT_TYPE_BUFFER), 0);
   assert_string_equal(f->dec.error, "object id names an object of another type");

   const uint64_t null[] = { 0 };
   start(f, null, 1, 0, true);
   assert_int_equal(vl_dec_handle_required(&f->dec, VK_OBJECT_TYPE_BUFFER), 0);
   assert_string_equal(f->dec.error, "VK_NULL_HANDLE where a handle is required");
}

static void
test_stream_cut_short(void **state)
{
   struct fixture *f = *state;
   const uint64_t ids[] = { 0x11 };
   for (size_t cut = 1; cut <= 8; cut++) {
      start(f, ids, 1, cut, true);
      assert_int_equal(vl_dec_handle(&f->dec, VK_OBJECT_TYPE_BUFFER), 0);
      assert_string_equal(f->dec.error, "stream ends inside a command");
      start(f, ids, 1, cut, true);
      assert_int_equal(vl_dec_handle_required(&f->dec, VK_OBJECT_TYPE_BUFFER), 0);
      assert_string_equal(f->dec.error, "stream ends inside a command");
   }
}

static void
test_without_a_table(void **state)
{
   struct fixture *f = *state;
   /* tools and guest-side replies: ids stay raw values */
   const uint64_t ids[] = { 0x99, 0x11 };
   start(f, ids, 2, 0, false);
   assert_int_equal(vl_dec_handle(&f->dec, VK_OBJECT_TYPE_BUFFER), 0x99);
   assert_int_equal(vl_dec_handle(&f->dec, VK_OBJECT_TYPE_DESCRIPTOR_SET), 0x11);
   assert_null(f->dec.error);
}

int
main(void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_known_ids, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_ids, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stream_cut_short, setup, teardown),
      cmocka_unit_test_setup_teardown(test_without_a_table, setup, teardown),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
