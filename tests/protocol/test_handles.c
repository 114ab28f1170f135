/*
 * Handle decoding against the renderer's object table: ids become host
 * handles, and the entries a command's first handles resolved are
 * remembered (vl_dec_recent) for the renderer's checks, which look the same
 * objects up by host handle.  What is remembered must never outlive an
 * entry: any removal from the table forgets it all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vl_cs.h"
#include "vl_object_table.h"

struct fixture {
   struct vl_object_table objects;
   struct vl_arena arena;
   uint64_t ids[8];
   struct vl_decoder dec;
};

/* Decodes the ids as one command's handles of the given types. */
static void
decode_handles(struct fixture *f, const uint64_t *ids, const int32_t *types, unsigned n,
               uint64_t *hosts)
{
   memcpy(f->ids, ids, n * sizeof(ids[0]));
   vl_dec_init(&f->dec, f->ids, n * sizeof(ids[0]), &f->arena, &f->objects);
   vl_dec_begin_command(&f->dec);
   for (unsigned i = 0; i < n; i++)
      hosts[i] = vl_dec_handle(&f->dec, types[i]);
}

static int
setup(void **state)
{
   static struct fixture f;
   memset(&f, 0, sizeof(f));
   vl_object_table_init(&f.objects);
   vl_arena_init(&f.arena, 1u << 20);
   /* ids 0x11.. for hosts 0x100, 0x200, ...; two buffers share host 0x900,
    * as non-dispatchable handles may */
   for (uint64_t i = 1; i <= 6; i++)
      assert_non_null(vl_object_table_add(
         &f.objects, 0x10 + i, i % 2 ? VK_OBJECT_TYPE_BUFFER : VK_OBJECT_TYPE_DESCRIPTOR_SET,
         i << 8, NULL));
   assert_non_null(vl_object_table_add(&f.objects, 0x21, VK_OBJECT_TYPE_BUFFER, 0x900, NULL));
   assert_non_null(vl_object_table_add(&f.objects, 0x22, VK_OBJECT_TYPE_BUFFER, 0x900, NULL));
   *state = &f;
   return 0;
}

static int
teardown(void **state)
{
   struct fixture *f = *state;
   vl_arena_finish(&f->arena);
   vl_object_table_finish(&f->objects);
   return 0;
}

static void
test_resolved_handles_are_remembered(void **state)
{
   struct fixture *f = *state;
   const uint64_t ids[] = { 0x11, 0x12, 0, 0x13 };
   const int32_t types[] = { VK_OBJECT_TYPE_BUFFER, VK_OBJECT_TYPE_DESCRIPTOR_SET,
                             VK_OBJECT_TYPE_BUFFER, VK_OBJECT_TYPE_BUFFER };
   uint64_t hosts[4];
   decode_handles(f, ids, types, 4, hosts);
   assert_null(f->dec.error);
   assert_int_equal(hosts[0], 0x100);
   assert_int_equal(hosts[1], 0x200);
   assert_int_equal(hosts[2], 0); /* VK_NULL_HANDLE */
   assert_int_equal(hosts[3], 0x300);
   struct vl_object *o = vl_dec_recent(&f->dec, VK_OBJECT_TYPE_BUFFER, 0x100);
   assert_non_null(o);
   assert_int_equal(o->id, 0x11);
   o = vl_dec_recent(&f->dec, VK_OBJECT_TYPE_DESCRIPTOR_SET, 0x200);
   assert_non_null(o);
   assert_int_equal(o->id, 0x12);
   assert_int_equal(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_BUFFER, 0x300)->id, 0x13);
   /* the right host handle under another type is another object */
   assert_null(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_BUFFER, 0x200));
   /* the null handle is nothing to remember */
   assert_null(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_BUFFER, 0));
   /* a handle the command did not name is the table's to answer */
   assert_null(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_DESCRIPTOR_SET, 0x400));
   assert_int_equal(
      vl_object_table_lookup_host(&f->objects, VK_OBJECT_TYPE_DESCRIPTOR_SET, 0x400)->id, 0x14);
}

static void
test_only_the_first_handles_are_remembered(void **state)
{
   struct fixture *f = *state;
   const uint64_t ids[] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16 };
   const int32_t types[] = { VK_OBJECT_TYPE_BUFFER, VK_OBJECT_TYPE_DESCRIPTOR_SET,
                             VK_OBJECT_TYPE_BUFFER, VK_OBJECT_TYPE_DESCRIPTOR_SET,
                             VK_OBJECT_TYPE_BUFFER, VK_OBJECT_TYPE_DESCRIPTOR_SET };
   uint64_t hosts[6];
   decode_handles(f, ids, types, 6, hosts);
   assert_int_equal(hosts[5], 0x600);
   assert_int_equal(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_DESCRIPTOR_SET, 0x400)->id, 0x14);
   assert_null(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_BUFFER, 0x500));
   /* a new command starts over */
   vl_dec_begin_command(&f->dec);
   assert_null(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_BUFFER, 0x100));
}

static void
test_shared_host_handle_is_the_named_object(void **state)
{
   struct fixture *f = *state;
   const uint64_t ids[] = { 0x22 };
   const int32_t types[] = { VK_OBJECT_TYPE_BUFFER };
   uint64_t hosts[1];
   decode_handles(f, ids, types, 1, hosts);
   assert_int_equal(hosts[0], 0x900);
   assert_int_equal(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_BUFFER, 0x900)->id, 0x22);
}

static void
test_a_removal_forgets_everything(void **state)
{
   struct fixture *f = *state;
   const uint64_t ids[] = { 0x11, 0x12 };
   const int32_t types[] = { VK_OBJECT_TYPE_BUFFER, VK_OBJECT_TYPE_DESCRIPTOR_SET };
   uint64_t hosts[2];
   decode_handles(f, ids, types, 2, hosts);
   struct vl_object *set = vl_dec_recent(&f->dec, VK_OBJECT_TYPE_DESCRIPTOR_SET, 0x200);
   assert_non_null(set);
   /* the set goes away (vkFreeDescriptorSets): neither it, now free memory,
    * nor the buffer may be answered from memory any more */
   vl_object_table_remove(&f->objects, set);
   assert_null(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_DESCRIPTOR_SET, 0x200));
   assert_null(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_BUFFER, 0x100));
   /* a new entry may reuse the freed one at once */
   assert_non_null(
      vl_object_table_add(&f->objects, 0x31, VK_OBJECT_TYPE_DESCRIPTOR_SET, 0x700, NULL));
   assert_null(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_DESCRIPTOR_SET, 0x700));
   assert_null(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_DESCRIPTOR_SET, 0x200));
}

static void
test_failed_handles_are_not_remembered(void **state)
{
   struct fixture *f = *state;
   /* an unknown id, then one of the wrong type, each its own command */
   const uint64_t unknown[] = { 0x99 };
   const int32_t buffer[] = { VK_OBJECT_TYPE_BUFFER };
   uint64_t hosts[1];
   decode_handles(f, unknown, buffer, 1, hosts);
   assert_string_equal(f->dec.error, "unknown object id");
   assert_int_equal(f->dec.recent_count, 0);
   const uint64_t set[] = { 0x12 };
   decode_handles(f, set, buffer, 1, hosts);
   assert_string_equal(f->dec.error, "object id names an object of another type");
   assert_null(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_DESCRIPTOR_SET, 0x200));
   assert_null(vl_dec_recent(&f->dec, VK_OBJECT_TYPE_BUFFER, 0x200));
}

int
main(void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_resolved_handles_are_remembered, setup, teardown),
      cmocka_unit_test_setup_teardown(test_only_the_first_handles_are_remembered, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shared_host_handle_is_the_named_object, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_removal_forgets_everything, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_handles_are_not_remembered, setup, teardown),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
