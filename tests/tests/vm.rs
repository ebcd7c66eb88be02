//! Virtual memory: lazy allocation, protection faults, and address-space
//! copy by inheritance (copy-on-write, sharing, none), through the
//! temporary DEBUG_VM_* and DEBUG_TASK_FORK traps.

use mk_tests::Boot;

/// The number after `key` in the first line containing it.
fn figure(out: &str, key: &str) -> i64 {
    let line = out.lines().find(|l| l.contains(key)).unwrap_or_else(|| panic!("no {:?} in:\n{}", key, out));
    let rest = &line[line.find(key).unwrap() + key.len()..];
    let num: String = rest.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    num.parse().unwrap_or_else(|_| panic!("no number after {:?} in {:?}", key, line))
}

#[test]
fn memory_is_allocated_only_when_touched() {
    let o = Boot::new(&["vm-lazy"]).run();
    println!("{}", o.output);
    o.expect("vm-lazy: untouched bss reads 0")
        .expect("vm-lazy: vm_allocate 64 MiB: KERN_SUCCESS, touched 4 pages, allocated 4")
        .expect("vm-lazy: vm_deallocate: KERN_SUCCESS")
        .expect("vm-lazy: fixed reallocation: KERN_SUCCESS")
        .expect("vm-lazy: fixed overlap: KERN_NO_SPACE")
        .expect("vm-lazy: vm_protect beyond maximum: KERN_PROTECTION_FAILURE")
        .expect("vm-lazy: vm_protect unmapped: KERN_INVALID_ADDRESS")
        .expect_status(0);
    // 1024 bss pages, 16 touched: about 16 allocated (a page-table page
    // is not counted: only object pages are).
    let bss = figure(&o.output, "touched 16, allocated");
    assert!((16..=17).contains(&bss), "bss pages allocated: {}", bss);
    let stack = figure(&o.output, "(stack 64 pages): allocated");
    assert!(stack <= 33, "stack pages allocated: {}", stack);
    assert!(figure(&o.output, "pages freed") >= 4, "{}", o.output);
}

#[test]
fn protection_faults_are_still_reported() {
    let o = Boot::new(&["hello", "vm-lazy textwrite", "vm-lazy protect"]).run();
    o.expect("vm-lazy: writing to text")
        .expect("page fault at 0x40")
        .expect("(write data, protection violation)")
        .expect("vm-lazy: protect read-only: KERN_SUCCESS")
        .expect("vm-lazy: still reads 41")
        .expect_not("still alive, which is wrong")
        .expect_not("panic")
        .expect_status(0);
    assert_eq!(o.lines_with("killed by page fault").len(), 2, "{}", o.output);
    assert_eq!(o.lines_with("(write data, protection violation)").len(), 2, "{}", o.output);
}

#[test]
fn fork_copies_on_write_shares_and_hides_by_inheritance() {
    let o = Boot::new(&["vm-fork"]).run();
    println!("{}", o.output);
    o.expect("vm-fork child: a write after fork allocated 1 page(s)")
        .expect("vm-fork parent: cow[0] = 100 (child wrote 200)")
        .expect("vm-fork parent: shared word from child = 55")
        .expect("vm-fork child: cow[0] = 200, cow[1] = 101 (parent wrote 301)")
        .expect("vm-fork child: shared word from parent = 66")
        .expect("vm-fork parent: cow[1] = 301, hidden = 7")
        .expect("vm-fork child: reading a NONE-inherited page")
        .expect("(read data, not present)")
        .expect_not("still alive, which is wrong")
        .expect_not("panic")
        .expect_status(0);
    assert_eq!(o.lines_with("killed by page fault").len(), 1, "{}", o.output);
}

#[test]
fn repeated_forks_do_not_grow_shadow_chains() {
    let o = Boot::new(&["vm-fork chain 50"]).timeout(120).run();
    println!("{}", o.output);
    o.expect("vm-fork chain: 50 generations").expect("vm-fork chain: region[0] = 50").expect_status(0);
    let depth = figure(&o.output, "max chain depth");
    assert!(depth <= 2, "chain depth {}", depth);
    let first = figure(&o.output, "free pages at generation 2:");
    let last = figure(&o.output, "at the last:");
    assert!(last >= first - 2, "pages leaked across 48 generations: {} -> {}", first, last);
}

#[test]
fn running_out_of_memory_ends_the_task_not_the_kernel() {
    let o = Boot::new(&["hello", "vm-lazy oom"]).memory("64M").append("log=debug").timeout(120).run();
    o.expect("vm-lazy: touching all of it")
        .expect("KERN_RESOURCE_SHORTAGE")
        .expect("killed by page fault")
        .expect_not("still alive, which is wrong")
        .expect_not("panic")
        .expect("no tasks left; powering off with status 0")
        .expect_status(0);
}

#[test]
fn out_of_line_megabytes_move_without_a_copy() {
    let o = Boot::new(&["ool-cow"]).run();
    o.expect("ool-cow: sent 8388608 (0), received 8388608 bytes (0)")
        .expect("pages copied 0")
        .expect("ool-cow: data intact true, one write copied 1 page(s), sender unchanged true")
        .expect_status(0);
}
