/* SPDX-License-Identifier: Apache-2.0 */
/* seccomp-i386: make a syscall through the i386 entry point (int $0x80)
   from a 64-bit process, so that the seccomp filter sees it with
   AUDIT_ARCH_I386: the test of a filter compiled for several
   architectures.  Static, run inside test containers.

     seccomp-i386 mkdir PATH     i386 mkdir (39): prints ret and errno
     seccomp-i386 getpid         i386 getpid (20)

   Arguments of int $0x80 are 32 bits wide: PATH is copied to a static
   buffer, which a static, non-PIE binary has below 4 GiB.  */
#include <stdio.h>
#include <string.h>

static char path_buf[256];

static long
syscall_i386 (long nr, long a, long b)
{
#if defined(__x86_64__)
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b) : "memory", "r8", "r9", "r10", "r11");
  return ret;
#else
  (void) nr;
  (void) a;
  (void) b;
  return -38;
#endif
}

int
main (int argc, char **argv)
{
  long r;
  if (argc == 3 && strcmp (argv[1], "mkdir") == 0)
    {
      snprintf (path_buf, sizeof path_buf, "%s", argv[2]);
      if ((unsigned long) path_buf > 0xffffffffUL)
        {
          printf ("error=buffer above 4 GiB\n");
          return 2;
        }
      r = syscall_i386 (39, (long) path_buf, 0755);
    }
  else if (argc == 2 && strcmp (argv[1], "getpid") == 0)
    r = syscall_i386 (20, 0, 0);
  else
    {
      fprintf (stderr, "usage: seccomp-i386 mkdir PATH | getpid\n");
      return 2;
    }
  printf ("i386 %s ret=%ld errno=%ld\n", argv[1], r < 0 && r > -4096 ? -1 : r, r < 0 && r > -4096 ? -r : 0);
  return 0;
}
