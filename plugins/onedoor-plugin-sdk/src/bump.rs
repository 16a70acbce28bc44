//! The plugin's allocator on wasm32: a bump allocator that never frees.
//!
//! onedoor runs every call in a fresh instance that is thrown away afterwards, so freeing is
//! wasted work. Allocation is a pointer bump into a static arena (part of the initial memory,
//! so small calls never grow memory), then into memory grown page by page; the last block is
//! extended in place when it grows (`Vec`, `String`). When memory cannot grow (the host's cap),
//! allocation fails and the call ends with `OUT_OF_MEMORY`. Turn the `bump-allocator` feature
//! off to bring your own `#[global_allocator]`.

#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;
use core::ptr;

const PAGE: usize = 65_536;
const ARENA: usize = 128 * 1024;

/// The arena, then grown memory: `next` is the first free byte, `end` the end of the current
/// region, `last` the start of the last block handed out.
struct Bump {
    arena: UnsafeCell<[u8; ARENA]>,
    state: UnsafeCell<State>,
}

#[derive(Clone, Copy)]
struct State {
    next: usize,
    end: usize,
    last: usize,
}

// SAFETY: a wasm32-unknown-unknown plugin instance has exactly one thread.
unsafe impl Sync for Bump {}

impl Bump {
    /// Reserves `size` bytes aligned to `align`, or null.
    ///
    /// SAFETY: single-threaded; `align` is a power of two (a `Layout`'s).
    unsafe fn reserve(&self, size: usize, align: usize) -> *mut u8 {
        // SAFETY: one thread, and no reference to the state outlives this function.
        let state = unsafe { &mut *self.state.get() };
        if state.end == 0 {
            let base = self.arena.get() as usize;
            *state = State { next: base, end: base + ARENA, last: base };
        }
        let mut start = (state.next + align - 1) & !(align - 1);
        let mut stop = match start.checked_add(size) {
            Some(stop) => stop,
            None => return ptr::null_mut(),
        };
        if stop > state.end {
            let grown_from = wasm32::memory_size(0) * PAGE;
            // Continue the current region when it ends at the memory's end, else start anew.
            if state.end != grown_from {
                start = (grown_from + align - 1) & !(align - 1);
                stop = match start.checked_add(size) {
                    Some(stop) => stop,
                    None => return ptr::null_mut(),
                };
                state.end = grown_from;
            }
            let pages = (stop - state.end).div_ceil(PAGE);
            if wasm32::memory_grow(0, pages) == usize::MAX {
                return ptr::null_mut();
            }
            state.end += pages * PAGE;
        }
        state.last = start;
        state.next = stop;
        start as *mut u8
    }
}

// SAFETY: blocks are disjoint, aligned as asked, and never handed out twice.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see `reserve`.
        unsafe { self.reserve(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: one thread; the reference does not outlive the block below.
        let state = unsafe { &mut *self.state.get() };
        // The last block grows (or shrinks) in place while it fits the current region.
        if ptr as usize == state.last
            && let Some(stop) = state.last.checked_add(new_size)
            && stop <= state.end
        {
            state.next = stop;
            return ptr;
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // SAFETY: `layout.align()` is a power of two.
        let new = unsafe { self.reserve(new_size, layout.align()) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for `layout.size()` bytes and do not overlap.
            unsafe { ptr::copy_nonoverlapping(ptr, new, layout.size()) };
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Bump =
    Bump { arena: UnsafeCell::new([0; ARENA]), state: UnsafeCell::new(State { next: 0, end: 0, last: 0 }) };
