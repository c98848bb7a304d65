/*
 * Start-up help for a position-independent resh (see docs/benchmarks.md, "PIE and start-up").
 *
 * NativeAOT expands ("rehydrates") its type data, about 4.5 MB, into the executable's zero-filled
 * data segment at every start. Written page by page, that is one page fault per 4 KiB page (~1,100
 * faults, a third of a call's CPU). Before main runs, this constructor asks the kernel to back that
 * region with transparent huge pages where it can and to populate it in one call
 * (MADV_HUGEPAGE, MADV_POPULATE_WRITE): the same memory, written without a fault per page.
 * Both are hints: an older kernel or THP set to "never" simply ignores them. RESH_NO_PREFAULT=1
 * turns this off.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static int resh_prefault_phdr(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        /* The writable segment's zero-filled tail: .bss and the rehydrated type data. */
        if (p->p_type != PT_LOAD || !(p->p_flags & PF_W) || p->p_memsz <= p->p_filesz)
            continue;
        uintptr_t start = info->dlpi_addr + p->p_vaddr + p->p_filesz;
        uintptr_t end = info->dlpi_addr + p->p_vaddr + p->p_memsz;
        start = (start + page - 1) & ~(page - 1);
        end &= ~(page - 1);
        if (end <= start + 64 * page)
            continue;
        madvise((void *)start, end - start, MADV_HUGEPAGE);
        madvise((void *)start, end - start, MADV_POPULATE_WRITE);
    }
    return 1; /* the first object is the executable itself: stop there */
}

__attribute__((constructor)) static void resh_prefault(void)
{
    const char *off = getenv("RESH_NO_PREFAULT");
    if (off != NULL && off[0] == '1')
        return;
    dl_iterate_phdr(resh_prefault_phdr, NULL);
}
