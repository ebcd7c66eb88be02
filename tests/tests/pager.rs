//! The external memory management protocol: a pager task (pager-pattern)
//! serving a memory object that client tasks map with vm_map, sharing,
//! flushing, pageout under memory pressure, and pagers that misbehave.

use mk_tests::Boot;

fn figure(line: &str, before: &str) -> u64 {
    let at = line.find(before).unwrap_or_else(|| panic!("no {:?} in {:?}", before, line));
    let words: Vec<&str> = line[..at].split_whitespace().collect();
    words.last().and_then(|w| w.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok())
        .unwrap_or_else(|| panic!("no number before {:?} in {:?}", before, line))
}

#[test]
fn a_pager_serves_a_known_pattern_to_a_mapped_region() {
    let o = Boot::new(&["pager-pattern", "pager-client check 64"]).icount().timeout(120).run();
    println!("{}", o.output);
    o.expect("pager: init, page size 4096")
        .expect("client: 64 pages match the pattern")
        .expect("pager: terminated: 64 data requests for 64 distinct pages")
        .expect_not("panic")
        .expect_status(0);
    let line = o.lines_with("client: pager fault:")[0];
    println!("FIGURE {}", line);
    println!("FIGURE {}", o.lines_with("pager: making a page's data took")[0]);
}

#[test]
fn two_tasks_mapping_one_object_share_its_pages() {
    let o = Boot::new(&["pager-pattern", "pager-client check 32", "pager-client check 32"]).icount().timeout(120).run();
    println!("{}", o.output);
    assert_eq!(o.lines_with("client: 32 pages match the pattern").len(), 2, "{}", o.output);
    o.expect("pager: terminated: 32 data requests for 32 distinct pages").expect_not("panic").expect_status(0);
    assert_eq!(o.lines_with("pager: init").len(), 1, "one memory_object_init for both maps");
    // The clients fault in step: the second finds pages being fetched for
    // the first (busy) and waits for them instead of asking again.
    let line = o.lines_with("waits on busy pages")[0];
    println!("FIGURE {}", line);
    assert!(figure(line, "waits on busy pages") > 0, "{}", line);
}

#[test]
fn a_private_copy_reads_from_the_pager_and_keeps_its_writes() {
    let o = Boot::new(&["pager-pattern", "pager-client private"]).timeout(120).run();
    println!("{}", o.output);
    o.expect("client: private copy read true, writes kept true, the rest from the pager true")
        .expect("pager: terminated: 4 data requests for 4 distinct pages, 0 pages written back")
        .expect_not("panic")
        .expect_status(0);
}

#[test]
fn a_flush_by_lock_request_makes_the_next_touch_ask_again() {
    let o = Boot::new(&["pager-pattern", "pager-client flush"]).timeout(120).run();
    println!("{}", o.output);
    o.expect("client: generation 0 read: ok")
        .expect("pager: lock request completed")
        .expect("client: after the flush the pages came back as generation 1: ok")
        .expect("pager: terminated: 8 data requests for 4 distinct pages")
        .expect_not("panic")
        .expect_status(0);
}

#[test]
fn dirty_pages_go_back_to_the_pager_under_memory_pressure() {
    let o = Boot::new(&["pager-pattern", "pager-client pressure 48"]).memory("32M").timeout(300).run();
    println!("{}", o.output);
    o.expect("client: wrote 48 MiB")
        .expect("client: read back 48 MiB: 0 bad pages")
        .expect(", 0 lost")
        .expect_not("panic")
        .expect_status(0);
    let line = o.lines_with("pager: terminated:")[0];
    println!("FIGURE {}", line);
    let requests = figure(line, "data requests");
    let written = figure(line, "pages written back");
    // 12288 pages do not fit in 32 MiB: most went out and came back.
    assert!(written > 8000, "{}", line);
    assert!(requests > 12288 + 4000, "{}", line);
    println!("FIGURE {}", o.lines_with("pageout so far:")[0]);
}

#[test]
fn data_unavailable_zero_fills() {
    let o = Boot::new(&["pager-pattern unavailable", "pager-client zeros 4"]).timeout(120).run();
    println!("{}", o.output);
    o.expect("client: 4 zero-filled pages: ok, a write kept: true")
        .expect("4 data requests, 0 provided, 4 unavailable")
        .expect("1 data writes") // the written page went back at terminate
        .expect_not("panic")
        .expect_status(0);
}

#[test]
fn a_write_to_a_locked_page_asks_the_pager_to_unlock_it() {
    let o = Boot::new(&["pager-pattern locked", "pager-client lockwrite"]).timeout(120).run();
    println!("{}", o.output);
    o.expect("client: read locked pages: ok")
        .expect("pager: data_unlock at 0x0 for access 2")
        .expect("client: a write to a locked page went through after the unlock: true")
        .expect("2 data requests")
        .expect("1 data writes")
        .expect_not("pager: data_unlock at 0x1000")
        .expect_not("panic")
        .expect_status(0);
}

#[test]
fn a_pager_that_never_answers_fails_the_fault_after_a_bounded_wait() {
    let o = Boot::new(&["pager-pattern silent", "pager-client victim", "hello"]).append("log=debug").timeout(120).run();
    println!("{}", o.output);
    o.expect("pager: ignoring the data request at 0x0")
        .expect("pager: still running (500 ms")
        .expect("hello from the first task")
        .expect("no answer for offset 0x0 in 2000 ms")
        .expect("KERN_MEMORY_ERROR")
        .expect("(pager-client) killed by page fault")
        .expect("pager: terminated: 1 data requests")
        .expect_not("client: survived")
        .expect_not("panic")
        .expect_status(0);
}

#[test]
fn data_for_pages_not_asked_for_is_ignored() {
    let o = Boot::new(&["pager-pattern wrong", "pager-client victim"]).append("log=debug").timeout(120).run();
    println!("{}", o.output);
    o.expect("answering the request at 0x0 with the page after it")
        .expect("no answer for offset 0x0 in 2000 ms")
        .expect("(pager-client) killed by page fault")
        .expect("1 ignored, 1 timeouts")
        .expect_not("panic")
        .expect_status(0);
    let o = Boot::new(&["pager-pattern toomuch", "pager-client victim"]).timeout(120).run();
    println!("{}", o.output);
    o.expect("client: survived the touch").expect("data ok").expect("client: the other pages match too")
        .expect("pager: terminated: 8 data requests")
        .expect("24 ignored")
        .expect_status(0);
}

#[test]
fn a_pager_that_dies_mid_fault_fails_its_waiters_at_once() {
    let o = Boot::new(&["pager-pattern die", "pager-client victim"]).append("log=debug").timeout(120).run();
    println!("{}", o.output);
    o.expect("pager: dying with the request at 0x0 outstanding")
        .expect("pager gone; its faults fail")
        .expect("KERN_MEMORY_ERROR")
        .expect("(pager-client) killed by page fault")
        .expect_not("no answer for offset")
        .expect_not("panic")
        .expect_status(0);
    let o = Boot::new(&["pager-pattern error", "pager-client victim"]).append("log=debug").timeout(120).run();
    o.expect("KERN_MEMORY_ERROR").expect("(pager-client) killed by page fault").expect_not("panic").expect_status(0);
}
