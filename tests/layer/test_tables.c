/*
 * The two tables layer mode rests on:
 *  - the renderer's object table renames an entry to its host handle and
 *    still finds it by host handle, with its place among its parent's
 *    children, and refuses an id in use;
 *  - the guest's handle map (icd/vl_handles.c) finds what was registered,
 *    replaces a stale entry, forgets only what still maps to the object,
 *    and keeps its per-thread shortcut honest across removals;
 *  - under churn (objects created and destroyed in a random order, as an
 *    engine does), every live object is found by id and by host handle,
 *    every removed one is gone, and reused entries come back clean.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "vl_icd.h"
#include "vl_object_table.h"

/* splitmix64: a fixed sequence, so a failure reproduces */
static uint64_t
next_random(uint64_t *x)
{
   uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
   z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
   z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
   return z ^ (z >> 31);
}

static void
test_object_churn(void **state)
{
   (void)state;
   enum { SLOTS = 300, STEPS = 200000 };
   struct vl_object_table t;
   vl_object_table_init(&t);
   struct vl_object *dev = vl_object_table_add(&t, 1, VK_OBJECT_TYPE_DEVICE, 0xd0, NULL);
   assert_non_null(dev);
   /* slot i holds id (i + 2) + k * SLOTS for its k-th life, or nothing */
   struct vl_object *live[SLOTS] = { 0 };
   uint64_t ids[SLOTS] = { 0 };
   uint64_t rng = 42;
   size_t count = 0;
   for (uint32_t step = 0; step < STEPS; step++) {
      const uint32_t i = (uint32_t)(next_random(&rng) % SLOTS);
      if (live[i]) {
         vl_object_table_remove(&t, live[i]);
         live[i] = NULL;
         assert_null(vl_object_table_lookup(&t, ids[i]));
         assert_null(vl_object_table_lookup_host(&t, VK_OBJECT_TYPE_BUFFER, ids[i] << 4));
         count--;
      } else {
         ids[i] = ids[i] ? ids[i] + SLOTS : i + 2;
         struct vl_object *o =
            vl_object_table_add(&t, ids[i], VK_OBJECT_TYPE_BUFFER, ids[i] << 4, dev);
         assert_non_null(o);
         /* a reused entry carries nothing of its last life */
         assert_null(o->data);
         assert_int_equal(o->flags, 0);
         assert_true(vl_list_empty(&o->children));
         o->data = o->inline_data;
         o->flags = 7;
         live[i] = o;
         count++;
         /* an id in use is refused */
         assert_null(vl_object_table_add(&t, ids[i], VK_OBJECT_TYPE_BUFFER, 0x1, dev));
      }
      if (step % 997 == 0 || step == STEPS - 1) {
         for (uint32_t j = 0; j < SLOTS; j++) {
            if (!live[j])
               continue;
            assert_ptr_equal(vl_object_table_lookup(&t, ids[j]), live[j]);
            assert_ptr_equal(vl_object_table_lookup_host(&t, VK_OBJECT_TYPE_BUFFER, ids[j] << 4),
                             live[j]);
         }
         assert_int_equal(t.by_id.count, count + 1);
         assert_int_equal(t.by_host.count, count + 1);
         /* removals at the end of a probe run leave no tombstones there:
          * the table never fills with them */
         assert_true(t.by_id.count + t.by_id.tombstones <= t.by_id.capacity / 2);
      }
   }
   /* once everything is gone, so are the tombstones (a churning table
    * does not degrade into long probe runs) */
   for (uint32_t j = 0; j < SLOTS; j++) {
      if (live[j])
         vl_object_table_remove(&t, live[j]);
   }
   assert_ptr_equal(vl_object_table_lookup(&t, 1), dev);
   vl_object_table_remove(&t, dev);
   assert_int_equal(t.by_id.count, 0);
   assert_int_equal(t.by_id.tombstones, 0);
   assert_int_equal(t.by_host.tombstones, 0);
   vl_object_table_finish(&t);
}

static void
test_object_rename(void **state)
{
   (void)state;
   struct vl_object_table t;
   vl_object_table_init(&t);
   struct vl_object *dev = vl_object_table_add(&t, 0x1000, VK_OBJECT_TYPE_DEVICE, 0xd0, NULL);
   assert_non_null(dev);
   struct vl_object *q = vl_object_table_add(&t, 0x2000, VK_OBJECT_TYPE_QUEUE, 0xa0, dev);
   assert_non_null(q);
   assert_non_null(vl_object_table_add(&t, 0x3000, VK_OBJECT_TYPE_BUFFER, 0xb0, dev));

   assert_true(vl_object_table_rename(&t, q, 0xa0));
   assert_null(vl_object_table_lookup(&t, 0x2000));
   assert_ptr_equal(vl_object_table_lookup(&t, 0xa0), q);
   assert_ptr_equal(vl_object_table_lookup_host(&t, VK_OBJECT_TYPE_QUEUE, 0xa0), q);
   assert_ptr_equal(q->parent, dev);
   /* an id in use, and 0, are refused; the entry keeps its id */
   assert_false(vl_object_table_rename(&t, dev, 0x3000));
   assert_false(vl_object_table_rename(&t, dev, 0));
   assert_ptr_equal(vl_object_table_lookup(&t, 0x1000), dev);

   /* many renames, through growth and tombstones */
   struct vl_object *objs[500];
   for (uint64_t i = 0; i < 500; i++) {
      objs[i] =
         vl_object_table_add(&t, 0x10000 + i, VK_OBJECT_TYPE_COMMAND_BUFFER, 0x900000 + i, dev);
      assert_non_null(objs[i]);
      assert_true(vl_object_table_rename(&t, objs[i], 0x900000 + i));
   }
   for (uint64_t i = 0; i < 500; i++) {
      assert_null(vl_object_table_lookup(&t, 0x10000 + i));
      assert_ptr_equal(vl_object_table_lookup(&t, 0x900000 + i), objs[i]);
      if (i % 2)
         vl_object_table_remove(&t, objs[i]);
   }
   for (uint64_t i = 0; i < 500; i++) {
      struct vl_object *o = vl_object_table_lookup(&t, 0x900000 + i);
      if (i % 2)
         assert_null(o);
      else
         assert_ptr_equal(o, objs[i]);
   }
   vl_object_table_remove(&t, dev);
   assert_null(q->parent);
   vl_object_table_finish(&t);
}

static void
test_handle_map(void **state)
{
   (void)state;
   int a, b, c;
   assert_null(vl_handle_lookup(0, VK_OBJECT_TYPE_DEVICE));
   assert_true(vl_handle_register(0x5000, VK_OBJECT_TYPE_DEVICE, &a));
   assert_true(vl_handle_register(0x6000, VK_OBJECT_TYPE_QUEUE, &b));
   assert_ptr_equal(vl_handle_lookup(0x5000, VK_OBJECT_TYPE_DEVICE), &a);
   assert_ptr_equal(vl_handle_lookup(0x6000, VK_OBJECT_TYPE_QUEUE), &b);
   /* the shortcut of this thread must see a replacement */
   assert_ptr_equal(vl_handle_lookup(0x5000, VK_OBJECT_TYPE_DEVICE), &a);
   assert_true(vl_handle_register(0x5000, VK_OBJECT_TYPE_DEVICE, &c));
   assert_ptr_equal(vl_handle_lookup(0x5000, VK_OBJECT_TYPE_DEVICE), &c);
   /* only the object the handle maps to is forgotten */
   vl_handle_unregister(0x5000, &a);
   assert_ptr_equal(vl_handle_lookup(0x5000, VK_OBJECT_TYPE_DEVICE), &c);
   vl_handle_unregister(0x5000, &c);
   /* many, through growth and tombstones */
   static int many[3000];
   for (uint64_t i = 0; i < 3000; i++)
      assert_true(vl_handle_register(0x100000 + i * 64, VK_OBJECT_TYPE_COMMAND_BUFFER, &many[i]));
   for (uint64_t i = 0; i < 3000; i += 2)
      vl_handle_unregister(0x100000 + i * 64, &many[i]);
   for (uint64_t i = 1; i < 3000; i += 2)
      assert_ptr_equal(vl_handle_lookup(0x100000 + i * 64, VK_OBJECT_TYPE_COMMAND_BUFFER),
                       &many[i]);
   assert_ptr_equal(vl_handle_lookup(0x6000, VK_OBJECT_TYPE_QUEUE), &b);
}

/* An unknown or wrongly typed handle ends the process with a message (as
 * the loader does), never a wild read. */
static void
test_bad_handles_abort(void **state)
{
   (void)state;
   int a;
   assert_true(vl_handle_register(0x7000, VK_OBJECT_TYPE_DEVICE, &a));
   const uint64_t bad[][2] = {
      { 0x7000, VK_OBJECT_TYPE_QUEUE },  /* wrong type */
      { 0x7008, VK_OBJECT_TYPE_DEVICE }, /* unknown */
   };
   for (size_t i = 0; i < 2; i++) {
      const pid_t pid = fork();
      assert_true(pid >= 0);
      if (!pid) {
         vl_handle_lookup(bad[i][0], (VkObjectType)bad[i][1]);
         _exit(0);
      }
      int status = 0;
      assert_int_equal(waitpid(pid, &status, 0), pid);
      assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
   }
}

int
main(void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_object_rename),
      cmocka_unit_test(test_object_churn),
      cmocka_unit_test(test_handle_map),
      cmocka_unit_test(test_bad_handles_abort),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
