//! glibc's allocator, told to give memory back. Decoding a photo allocates up to
//! `CDS_MEDIA_MAX_DECODED_MB` at once on a blocking-pool thread; glibc gives each thread its own arena
//! (up to 8 per core) and keeps what is freed there, so without this the server's resident memory grows
//! to several times what is in use (measured in `bench/media_load.rs`).

/// Caps glibc's arenas at two, before any thread starts: threads share them instead of each keeping its own.
/// And gives every block of 1 MiB or more its own mapping, returned to the system when freed: left to
/// itself glibc raises that threshold after the first such block is freed and serves the next ones from
/// the arenas, where a log-in storm's password hashes (19 MiB each, one at a time) grew the server to
/// 1.9 GB in 8 s (bench/run.sh, `login_storm`); with the threshold fixed it stays under 30 MB.
pub fn cap_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called first thing in main, before other threads.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

/// Returns the free memory of every arena to the system (after a large decode, which is rare and slow
/// enough that the cost of trimming does not show).
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}
