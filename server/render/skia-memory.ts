/**
 * Imported before @napi-rs/canvas (by every module that imports it, and by render-pool.ts before
 * it starts workers): sets how Skia's memory allocator behaves, which it reads once, when the
 * native library loads.
 *
 * @napi-rs/canvas allocates through its own mimalloc, which by default asks the kernel for
 * transparent huge pages (`MIMALLOC_ALLOW_THP`) and returns memory it has not used for 10 ms.
 * A raster tile reads its pixels back into a fresh 256 KB buffer (getImageData), so from one tile to
 * the next the allocator kept handing a 2 MB page back and faulting a new one in, which the kernel
 * zeroes: on the 2-vCPU virtual machine that was 0.3-0.6 ms of kernel CPU per tile, as much as
 * drawing it (bench/README.md, "npm run bench:raster"). With 4 KB pages the same reuse costs
 * nothing measurable. Memory use is unchanged (the pages are the same, only smaller).
 *
 * An operator's own setting wins. The variable must be in the process's environment before the
 * library loads; a worker thread's `process.env` is its own copy, so this runs on the main thread.
 */
process.env.MIMALLOC_ALLOW_THP ??= '0';

export {};
